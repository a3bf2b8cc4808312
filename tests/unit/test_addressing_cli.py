"""Command-line plumbing of the addressing lab: capture, client shell, topology rendering."""

from __future__ import annotations

import ipaddress

from rich.console import Console
from socketlab_common.probe import PROBE_SOURCE

from socketlab.capture import capture_argv, capture_filter, split_filter
from socketlab.cli import build_parser
from socketlab.shell import shell_request
from socketlab.topology import (
    HostRow,
    NetworkInfo,
    compact_ports,
    compact_published,
    declared_topology,
    mermaid,
    parse_published,
    topology_tree,
)


def test_capture_joins_the_service_namespace_and_writes_pcap_to_stdout() -> None:
    argv = capture_argv("abc123", count=20, duration=5, bpf=["tcp", "port", "8888"], project="p", with_probes=True)
    assert argv[:2] == ["docker", "run"] and "container:abc123" in argv
    assert "NET_RAW" in argv and "NET_ADMIN" in argv
    tail = argv[argv.index("socketlab/client:latest") + 1:]
    assert tail == ["timeout", "-s", "INT", "5", "tcpdump", "-n", "--immediate-mode", "-U", "-s", "65535",
                    "-B", "16384", "-i", "any", "-w", "-", "-c", "20", "tcp", "port", "8888"]


def test_capture_leaves_the_health_probes_out_unless_asked() -> None:
    assert capture_filter([]) == ["not", "host", PROBE_SOURCE]
    assert capture_filter(["tcp", "port", "8888"]) == ["(", "tcp", "port", "8888", ")", "and",
                                                       "not", "host", PROBE_SOURCE]
    assert capture_filter(["tcp"], with_probes=True) == ["tcp"]
    args = split_filter(build_parser().parse_args(["capture", "echo-epoll", "tcp", "--with-probes"]))
    assert args.with_probes and args.filter == ["tcp"]


def test_capture_options_may_come_before_or_after_the_filter() -> None:
    for words in (["capture", "echo-epoll", "-o", "f.pcap", "-c", "9", "tcp", "port", "8888"],
                  ["capture", "echo-epoll", "tcp", "port", "8888", "-o", "f.pcap", "-c", "9"],
                  ["capture", "-o", "f.pcap", "echo-epoll", "tcp", "port", "8888", "--count", "9"]):
        args = split_filter(build_parser().parse_args(words))
        assert (args.service, args.output, args.count, args.filter) == ("echo-epoll", "f.pcap", 9,
                                                                        ["tcp", "port", "8888"])


def test_client_shell_reads_its_own_options() -> None:
    args = build_parser().parse_args(["client", "shell", "--network", "private"])
    assert args.command == ["shell", "--network", "private"]
    network, ip, command = shell_request(args.network, args.ip, args.command[1:])
    assert (network, ip, command[:2]) == ("private", None, ["sh", "-c"])
    assert command[2].endswith("exec bash") and "private network" in command[2]
    assert shell_request("private", None, ["--ip", "10.77.2.99"])[:2] == ("private", "10.77.2.99")


ROWS = [
    HostRow("echo-epoll", "echo", "epoll", {"public": "10.77.1.15"}, ["127.0.0.1:18815→8888/tcp"], "running",
            ["8888/tcp", "8888/udp"]),
    HostRow("bind-demo", "bind", "bind", {"public": "10.77.1.30", "private": "10.77.2.30"}, [], "running",
            ["9001/tcp", "9001/udp", "9003/tcp"]),
]
NETS = [NetworkInfo("public", "10.77.1.0/24", "10.77.1.1", False),
        NetworkInfo("private", "10.77.2.0/24", "10.77.2.1", True)]


def test_topology_views_show_every_network_address_and_the_multi_homed_host() -> None:
    assert compact_ports(["9001/tcp", "9001/udp", "9003/tcp"]) == "9001/tcp+udp\n9003/tcp"
    assert compact_ports(["9002/udp", "9001/tcp", "9001/udp", "9002/tcp", "9003/tcp"]) == "9001–9002/tcp+udp\n9003/tcp"
    console = Console(record=True, width=200)
    console.print(topology_tree(ROWS, NETS, "lab"))
    text = console.export_text()
    assert text.count("bind-demo") == 2 and "multi-homed: also private 10.77.2.30" in text
    assert "internal" in text and "10.77.2.0/24" in text
    chart = mermaid(ROWS, NETS)
    assert 'subgraph private["private 10.77.2.0/24 — internal: true"]' in chart
    assert "bind-demo (multi-homed)<br/>private 10.77.2.30<br/>public 10.77.1.30" in chart
    assert ipaddress.ip_address("10.77.1.15").exploded in chart


def test_published_port_runs_are_collapsed() -> None:
    ports = ["127.0.0.1:18021→21/tcp", *(f"127.0.0.1:{p}→{p}/tcp" for p in range(18100, 18130)),
             "127.0.0.1:18000→8000/udp"]
    assert compact_published(ports) == ["127.0.0.1:18021→21/tcp", "127.0.0.1:18100–18129→18100–18129/tcp",
                                        "127.0.0.1:18000→8000/udp"]
    assert compact_published(["odd"]) == ["odd"]
    assert compact_published(["odd", "127.0.0.1:18021→21/tcp"]) == ["odd", "127.0.0.1:18021→21/tcp"]


def test_a_published_port_parses_into_its_four_parts_or_none() -> None:
    assert parse_published("127.0.0.1:18000→8000/udp") == ("127.0.0.1", 18000, 8000, "udp")
    assert parse_published("[::1]:18021→21/tcp") == ("[::1]", 18021, 21, "tcp")
    assert parse_published("127.0.0.1:x→21/tcp") is None and parse_published("21/tcp") is None


def test_declared_topology_reads_the_compose_config() -> None:
    config = {
        "services": {
            "bind-demo": {"networks": {"public": {"ipv4_address": "10.77.1.30"},
                                       "private": {"ipv4_address": "10.77.2.30"}},
                          "expose": ["9001/tcp"], "labels": {"socketlab.model": "bind"}},
            "client": {"networks": {"public": None}, "profiles": ["client"]},
            "echo-epoll": {"networks": {"public": {"ipv4_address": "10.77.1.15"}},
                           "ports": [{"host_ip": "127.0.0.1", "published": "18815", "target": 8888,
                                      "protocol": "tcp"}]},
        },
        "networks": {"public": {"ipam": {"config": [{"subnet": "10.77.1.0/24", "gateway": "10.77.1.1"}]}},
                     "private": {"internal": True, "ipam": {"config": [{"subnet": "10.77.2.0/24"}]}}},
    }
    rows, nets = declared_topology(config)
    assert [r.service for r in rows] == ["echo-epoll", "bind-demo", "client"]  # by address; dynamic last
    assert rows[0].ports == ["127.0.0.1:18815→8888/tcp"] and rows[2].addresses == {"public": "dynamic"}
    assert rows[2].state == "profile client"
    assert [(n.name, n.internal) for n in nets] == [("private", True), ("public", False)]
    assert "bind-demo (multi-homed)<br/>private 10.77.2.30<br/>public 10.77.1.30" in mermaid(rows, nets)
