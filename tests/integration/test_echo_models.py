"""Every echo service, checked from two client hosts at once over the lab network."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from socketlab_common.wire.echo import tcp_roundtrip

from socketlab.hosts import ClientHost

from .lab import ComposeLab

TCP_ECHO_SERVICES = {
    "echo-iterative": 810, "echo-fork": 811, "echo-thread": 812, "echo-select": 813,
    "echo-poll": 814, "echo-epoll": 815, "echo-epoll-et": 816, "echo-asyncio": 817,
}
MIB = 1 << 20


@pytest.mark.parametrize("service", TCP_ECHO_SERVICES)
def test_two_hosts_echo_one_mebibyte_at_once(service: str, alice_host: ClientHost, bob_host: ClientHost) -> None:
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(host.run, "echo-check", service, "--bytes", str(MIB)) for host in (alice_host, bob_host)]
        results = [run.result() for run in runs]
    for result in results:
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["ok"] and report["bytes"] == MIB


@pytest.mark.parametrize("service", TCP_ECHO_SERVICES)
def test_server_sees_each_client_host_by_its_own_address(service: str, lab: ComposeLab, alice_host: ClientHost,
                                                         bob_host: ClientHost) -> None:
    """Plain `nc` from each host to the service's static IP; the server logs each peer's address."""
    for host in (alice_host, bob_host):
        ip = lab.service_ip(service)
        result = host.sh(f"printf 'ping from {host.ip}\\n' | nc -N {ip} 8888")
        assert result.exit_code == 0, result.output
        assert result.stdout == f"ping from {host.ip}\n"
    logs = lab.service_container(service).logs().decode()
    assert alice_host.ip in logs and bob_host.ip in logs


def test_notes_interactive_client_prints_server_replies(alice_host: ClientHost) -> None:
    result = alice_host.run("echo-client", "echo-select", stdin="hello\n你好\n\n")
    assert result.exit_code == 0, result.output
    assert "服务器： hello" in result.stdout
    assert "服务器： 你好" in result.stdout
    assert "客户端退出" in result.stdout


def test_udp_echo_from_two_hosts(alice_host: ClientHost, bob_host: ClientHost) -> None:
    for host in (alice_host, bob_host):
        result = host.run("udp-client", "echo-udp", stdin=f"datagram from {host.ip}\n")
        assert result.exit_code == 0, result.output
        assert f"从服务端收到： datagram from {host.ip}" in result.stdout


def test_client_host_has_its_own_address_and_the_usual_tools(alice_host: ClientHost) -> None:
    addr = alice_host.run("ip", "-4", "-o", "addr", "show", "eth0")
    assert f"inet {alice_host.ip}/24" in addr.stdout
    tools = ["nc", "curl", "ping", "ip", "ifconfig", "ps", "pstree", "tcpdump", "wrk", "lftp"]
    missing = alice_host.sh(f"for t in {' '.join(tools)}; do command -v $t >/dev/null || echo $t; done")
    assert missing.stdout == "", f"missing tools: {missing.stdout}"


@pytest.mark.parametrize("service", ["echo-epoll", "echo-udp"])
def test_published_ports_reach_the_services_from_the_host(service: str, lab: ComposeLab) -> None:
    port = lab.settings.host_port(815 if service == "echo-epoll" else 818)
    if service == "echo-udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)
            sock.sendto(b"from the host", ("127.0.0.1", port))
            assert sock.recvfrom(100)[0] == b"from the host"
    else:
        assert tcp_roundtrip("127.0.0.1", port, b"from the host" * 1000) == b"from the host" * 1000


def test_services_run_unprivileged_and_read_only(lab: ComposeLab) -> None:
    for service in [*TCP_ECHO_SERVICES, "echo-udp"]:
        container = lab.service_container(service)
        config = container.attrs["HostConfig"]
        assert config["ReadonlyRootfs"] is True, service
        assert config["CapDrop"] == ["ALL"], service
        assert config["Init"] is True, service
        whoami = container.exec_run(["id", "-u"])
        assert whoami.output.strip() == b"10001", service
