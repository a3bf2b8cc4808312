"""bind-demo's pure parts: which addresses it binds and what it answers; and its loop on loopback."""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest
from binddemo.plan import Bind, default_route_interface, find_public, parse_ports, plan_binds
from binddemo.protocol import parse_reply, reply
from binddemo.server import IP_PKTINFO, PKTINFO, arrival_address, open_sockets, serve
from socketlab_common.interfaces import Interface
from socketlab_common.lifecycle import StopSignal

IFACES = [
    Interface("lo", ipaddress.IPv4Interface("127.0.0.1/8")),
    Interface("eth0", ipaddress.IPv4Interface("10.77.2.30/24")),  # compose may order the networks either way
    Interface("eth1", ipaddress.IPv4Interface("10.77.1.30/24")),
]
ROUTE = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00024D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t00014D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth1\t00000000\t01014D0A\t0003\t0\t0\t0\t00000000\t0\t0\t0
"""


def test_the_three_binds_of_the_notes() -> None:
    assert plan_binds("10.77.1.30") == [
        Bind("loopback", "127.0.0.1", 9001), Bind("public-ip", "10.77.1.30", 9002), Bind("any", "0.0.0.0", 9003)]
    assert plan_binds("10.0.0.5", (1, 2, 3))[1].label == "10.0.0.5:2"


def test_public_interface_is_found_by_subnet_whatever_its_name() -> None:
    assert find_public(IFACES, "10.77.1.0/24").address == "10.77.1.30"
    assert find_public(IFACES, "10.77.2.0/24").name == "eth0"


def test_without_a_subnet_the_default_route_decides() -> None:
    assert default_route_interface(ROUTE) == "eth1"
    assert find_public(IFACES, None, ROUTE).address == "10.77.1.30"


def test_no_matching_interface_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"no interface has an address in 10\.99\.1\.0/24"):
        find_public(IFACES, "10.99.1.0/24")
    with pytest.raises(ValueError, match="no default route"):
        default_route_interface(ROUTE.splitlines()[0] + "\n" + ROUTE.splitlines()[1])


@pytest.mark.parametrize("text", ["9001,9002", "9001,9001,9002", "a,b,c", "0,1,2", "1,2,70000"])
def test_bad_ports_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ports(text)


def test_reply_line_round_trips() -> None:
    line = reply("0.0.0.0:9003", "tcp", ("10.77.2.50", 41234), ("10.77.2.30", 9003))
    assert line == b"bind=0.0.0.0:9003/tcp local=10.77.2.30:9003 you=10.77.2.50:41234\n"
    assert parse_reply(line) == {"bind": "0.0.0.0:9003/tcp", "local": "10.77.2.30:9003", "you": "10.77.2.50:41234"}
    assert parse_reply(reply("127.0.0.1:9001", "udp", ("127.0.0.1", 5)))["bind"] == "127.0.0.1:9001/udp"
    with pytest.raises(ValueError):
        parse_reply(b"hello\n")


def test_server_answers_tcp_and_udp_on_every_socket_and_stops() -> None:
    """The real loop on loopback: a 127.0.0.1 bind and a 0.0.0.0 bind on kernel-chosen ports."""
    binds = [Bind("loopback", "127.0.0.1", 0), Bind("any", "0.0.0.0", 0)]
    sockets = open_sockets(binds)
    stop = StopSignal()
    thread = threading.Thread(target=serve, args=(sockets, stop), daemon=True)
    thread.start()
    try:
        for bind, proto, sock in sockets:
            port = sock.getsockname()[1]
            if proto == "tcp":
                with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                    got = parse_reply(conn.recv(256))
                assert got["local"] == f"127.0.0.1:{port}"
            else:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as conn:
                    conn.settimeout(5)
                    conn.sendto(b"?", ("127.0.0.1", port))
                    got = parse_reply(conn.recvfrom(256)[0])
                assert got["local"] == f"127.0.0.1:{port}"  # IP_PKTINFO tells even a 0.0.0.0 socket
            assert got["bind"] == f"{bind.label}/{proto}"
    finally:
        stop.set()
        thread.join(5)
        for _b, _p, sock in sockets:
            sock.close()
        stop.close()
    assert not thread.is_alive()


def test_arrival_address_comes_from_the_pktinfo_control_message() -> None:
    data = PKTINFO.pack(3, socket.inet_aton("10.77.2.30"), socket.inet_aton("10.77.2.30"))
    assert arrival_address([(socket.IPPROTO_IP, IP_PKTINFO, data)]) == "10.77.2.30"
    assert arrival_address([(socket.SOL_SOCKET, 1, b"x" * 12)]) is None
    assert arrival_address([]) is None
