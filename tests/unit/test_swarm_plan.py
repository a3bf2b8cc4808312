"""What `socketlab up --swarm` makes on each machine, read from the compose file (no engine needed)."""

from __future__ import annotations

import json

import pytest

from socketlab.compose import run_compose
from socketlab.errors import UsageError
from socketlab.settings import LabSettings
from socketlab.swarm import (
    LOCAL,
    _duration_ns,
    _ports,
    container_specs,
    engines,
    join_address,
    overlay_specs,
    parse_pairs,
    place,
)

SETTINGS = LabSettings(project="plan", net_prefix="10.99", port_prefix="19")


@pytest.fixture(scope="module")
def config() -> dict:
    return json.loads(run_compose(SETTINGS, "config", "--format", "json", capture=True).stdout)


def test_the_overlays_keep_the_subnets_and_the_internal_flag(config: dict) -> None:
    specs = {s.name: s for s in overlay_specs(config)}
    assert set(specs) == {"plan_public", "plan_private"}
    assert (specs["plan_public"].subnet, specs["plan_public"].internal) == ("10.99.1.0/24", False)
    assert (specs["plan_private"].subnet, specs["plan_private"].internal) == ("10.99.2.0/24", True)
    assert specs["plan_private"].ip_range == "10.99.2.128/25"


def test_every_started_service_becomes_a_container_with_its_static_ips(config: dict) -> None:
    specs = {s.service: s for s in container_specs(config, "plan")}
    assert "client" not in specs and "echo-c" not in specs      # profiles: not started by up
    assert "lan-rule" not in specs                                # the bridge-only host rule
    assert specs["echo-epoll"].networks == {"plan_public": "10.99.1.15"}
    assert specs["bind-demo"].networks == {"plan_public": "10.99.1.30", "plan_private": "10.99.2.30"}
    assert specs["router"].networks == {"plan_public": "10.99.1.2", "plan_private": "10.99.2.2"}
    epoll = specs["echo-epoll"].options
    assert epoll["ports"] == {"8888/tcp": ("127.0.0.1", 19815)}   # the loopback binding is kept
    assert epoll["cap_drop"] == ["ALL"] and epoll["security_opt"] == ["no-new-privileges:true"]
    assert epoll["labels"]["com.docker.compose.service"] == "echo-epoll" and epoll["read_only"]
    assert specs["router"].options["cap_add"] == ["NET_ADMIN"]
    assert specs["router"].options["sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert len(specs["ftp"].options["ports"]) == 1 + 128            # control + the passive pool, one by one
    assert container_specs(config, "plan", only=["web"])[0].service == "web"


def test_each_machine_gets_what_is_placed_on_it() -> None:
    config = {"services": {name: {"image": "i", "networks": {"public": None}} for name in
                           ("echo-epoll", "echo-select", "web", "ftp")},
              "networks": {"public": {"name": "p_public"}}}
    plan = place(container_specs(config, "p"), parse_pairs("echo-*=laptop2, web=laptop3", "--place"))
    assert {node: [s.service for s in specs] for node, specs in plan.items()} == {
        "laptop2": ["echo-epoll", "echo-select"], "laptop3": ["web"], LOCAL: ["ftp"]}
    assert place(container_specs(config, "p"), {}).keys() == {LOCAL}


def test_a_machine_without_an_engine_address_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="SOCKETLAB_NODES"):
        engines({}, {LOCAL, "laptop2"})
    with pytest.raises(UsageError, match="NAME=VALUE"):
        parse_pairs("web", "--place")


def test_join_flow_helpers() -> None:
    assert join_address("192.168.3.10") == "192.168.3.10:2377"
    assert join_address("192.168.3.10:4000") == "192.168.3.10:4000"
    assert _duration_ns("2s") == 2_000_000_000 and _duration_ns("1m30s") == 90_000_000_000
    assert _ports([{"published": "100-101", "target": 100, "protocol": "tcp", "host_ip": ""}]) == {
        "100/tcp": ("0.0.0.0", 100), "101/tcp": ("0.0.0.0", 101)}
