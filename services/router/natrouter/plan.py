"""Which interface is which: found at start from the two subnets, never configured by name."""

from __future__ import annotations

import os

from socketlab_common.interfaces import in_subnet, ipv4_interfaces

from .rules import RouterPlan


def plan_from_env(env: dict[str, str] | None = None) -> RouterPlan:
    env = dict(os.environ if env is None else env)
    public, private = env["ROUTER_PUBLIC_SUBNET"], env["ROUTER_PRIVATE_SUBNET"]
    interfaces = ipv4_interfaces()
    return RouterPlan(in_subnet(interfaces, public).name, in_subnet(interfaces, private).name, public, private)


def forwarding_enabled() -> bool:
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        return f.read().strip() == "1"
