"""Run the bind demo: ``python -m binddemo`` (configuration from the environment).

``BIND_PUBLIC_SUBNET`` (CIDR) says which interface is "public"; without it the
default-route interface is used. ``BIND_PORTS`` (default 9001,9002,9003) are the
ports of the loopback, public-IP and 0.0.0.0 listeners.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from socketlab_common.interfaces import ipv4_interfaces
from socketlab_common.lifecycle import StopSignal
from socketlab_common.log import setup_logging

from .plan import DEFAULT_PORTS, find_public, parse_ports, plan_binds
from .server import open_sockets, serve


def public_address(subnet: str | None) -> str:
    """This host's public-network IP, discovered now from its interfaces."""
    route = Path("/proc/net/route").read_text() if not subnet else ""
    return find_public(ipv4_interfaces(), subnet, route).address


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(prog="binddemo", description=__doc__)
    parser.add_argument("--public-subnet", default=env.get("BIND_PUBLIC_SUBNET") or None)
    parser.add_argument("--ports", default=env.get("BIND_PORTS", ",".join(map(str, DEFAULT_PORTS))))
    args = parser.parse_args(argv)
    log = setup_logging("binddemo")
    try:
        binds = plan_binds(public_address(args.public_subnet), parse_ports(args.ports))
    except (ValueError, OSError) as exc:
        log.error("cannot plan the binds: %s", exc)
        return 2
    for iface in ipv4_interfaces():
        log.info("interface %s", iface)
    stop = StopSignal()
    stop.install_signal_handlers()
    sockets = open_sockets(binds)
    for bind in binds:
        log.info("listening (%s) on %s tcp+udp", bind.kind, bind.label)
    try:
        serve(sockets, stop)
    finally:
        for _bind, _proto, sock in sockets:
            sock.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
