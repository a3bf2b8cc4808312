"""The NAT router (公网/内网): private hosts reach public servers through it, and nothing gets in.

* a private host reaches echo-epoll at its public address, and echo-epoll's
  log (the notes' "Connect from") names the router's public address;
* a public host cannot open a connection to bind-demo's private address, not
  even when it routes the private subnet at the router itself;
* `socketlab capture router` shows the rewrite: the same connection leaves the
  private side from the private host and the public side from the router;
* the router and the host rule it needs run with NET_ADMIN and nothing else.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socketlab.hosts import ClientHost
from socketlab.pcap import read_capture
from socketlab.settings import ROUTER_HOST

from .capturing import socketlab_capture
from .lab import ComposeLab


# Host numbers of this module: private .92, public .92 (the intruder).
@pytest.fixture(scope="module")
def inside_host(lab: ComposeLab) -> Iterator[ClientHost]:
    host = lab.client_host("private", 92)
    yield host
    host.stop()


@pytest.fixture(scope="module")
def router_ip(lab: ComposeLab) -> str:
    return lab.service_ip("router", "public")


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)  # polling for a condition, bounded by the deadline


def test_the_router_sits_on_both_networks_with_net_admin_only(lab: ComposeLab) -> None:
    settings = lab.settings
    router = lab.service_container("router")
    assert lab.service_ip("router", "public") == settings.subnet_ip("public", ROUTER_HOST)
    assert lab.service_ip("router", "private") == settings.subnet_ip("private", ROUTER_HOST)
    for service in ("router", "lan-rule"):
        host_config = lab.service_container(service).attrs["HostConfig"]
        assert [c.removeprefix("CAP_") for c in host_config["CapAdd"]] == ["NET_ADMIN"]
        assert [c.removeprefix("CAP_") for c in host_config["CapDrop"]] == ["ALL"]
        assert not host_config["Privileged"]
    assert router.attrs["HostConfig"]["Sysctls"] == {"net.ipv4.ip_forward": "1"}
    # The private network is still internal: NAT is the router's doing, not a way out Docker opened.
    assert lab.docker.networks.get(settings.network("private")).attrs["Internal"] is True


def test_a_private_host_reaches_a_public_server_seen_as_the_router(lab: ComposeLab, inside_host: ClientHost,
                                                                   router_ip: str) -> None:
    echo = lab.service_container("echo-epoll")
    echo_ip = lab.service_ip("echo-epoll")
    seen = f"connect from {router_ip}:"
    before = echo.logs().decode().count(seen)
    route = inside_host.run("ip", "route", "get", echo_ip).stdout
    assert f"via {lab.settings.subnet_ip('private', ROUTER_HOST)}" in route
    talk = inside_host.sh(f"printf '你好 公网\\n' | nc -N -w 5 {echo_ip} 8888")
    assert talk.stdout == "你好 公网\n", talk.output
    _wait(lambda: echo.logs().decode().count(seen) > before, 15, f"echo-epoll never logged {seen!r}")
    assert f"connect from {inside_host.ip}:" not in echo.logs().decode()


def test_public_hosts_cannot_open_a_connection_inward(lab: ComposeLab, router_ip: str) -> None:
    private_demo = lab.service_ip("bind-demo", "private")
    intruder = lab.client_host("public", 92)
    try:
        intruder.run("ip", "route", "replace", f"{lab.settings.subnet_ip('private', 0)}/24", "via", router_ip)
        assert f"via {router_ip}" in intruder.run("ip", "route", "get", private_demo).stdout
        # alice_host (no such route) is the matrix's "public client" row; here the stronger case, both at once.
        probe = intruder.run("python3", "-m", "socketlab_common.reach", "--timeout", "2",
                             f"tcp:{private_demo}:9003", f"udp:{private_demo}:9003")
        outcomes = {json.loads(line)["outcome"] for line in probe.stdout.splitlines()}
        assert len(probe.stdout.splitlines()) == 2 and outcomes <= {"timeout", "refused", "unreachable"}, probe.stdout
        # ... while the same listener answers on its public address (so the probe itself works).
        assert "bind=0.0.0.0:9003/tcp" in intruder.sh(f"nc -w 3 {lab.service_ip('bind-demo')} 9003 </dev/null").stdout
    finally:
        intruder.stop()


def test_a_capture_on_the_router_shows_the_address_rewritten(lab: ComposeLab, tmp_path: Path,
                                                            inside_host: ClientHost, router_ip: str) -> None:
    pcap = tmp_path / "router.pcap"
    echo_ip = lab.service_ip("echo-epoll")
    def syns() -> list:
        try:
            return [p for p in read_capture(pcap.read_bytes()).tcp if p.syn and p.dst == echo_ip]
        except (OSError, ValueError):
            return []

    with socketlab_capture(lab, "router", pcap, "tcp", "port", "8888", "and", "host", echo_ip) as capture:
        assert inside_host.sh(f"printf 'nat\\n' | nc -N -w 5 {echo_ip} 8888").stdout == "nat\n"
        _wait(lambda: {p.src for p in syns()} >= {inside_host.ip, router_ip}, 30,
              f"no SYN from both sides in the capture: {[str(p) for p in syns()]}")
    before, after = (next(p for p in syns() if p.src == src) for src in (inside_host.ip, router_ip))
    assert (before.dst, before.dport) == (after.dst, after.dport) == (echo_ip, 8888)
    # The summary the user reads lists both segments, before and after the rewrite.
    summary = capture.stderr
    assert f"{inside_host.ip}:{before.sport} > {echo_ip}:8888 [S]" in summary
    assert f"{router_ip}:{after.sport} > {echo_ip}:8888 [S]" in summary
