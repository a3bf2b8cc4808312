"""`ps`, `topology` and the `make up` summary read at 80 columns: nothing cut, ranges collapsed, true protocols.

The rows are the compose file's own shape (`docker compose config` JSON, with
the FTP passive pool expanded port by port as compose expands it), plus the
EXPOSE the echo image shares between its TCP and UDP services.
"""

from __future__ import annotations

import re

from rich.console import Console

from socketlab.topology import HostRow, declared_topology, hosts_table, topology_tree

PREFIX = "10.255"  # the longest addresses a prefix can make


def _config() -> dict:
    def port(published: int, target: int, protocol: str = "tcp") -> dict:
        return {"host_ip": "127.0.0.1", "published": str(published), "target": target, "protocol": protocol}

    def net(last: int, network: str = "public") -> dict:
        third = 1 if network == "public" else 2
        return {network: {"ipv4_address": f"{PREFIX}.{third}.{last}"}}

    echo = {f"echo-{model}": {"networks": net(10 + i), "ports": [port(18810 + i, 8888)],
                              "labels": {"socketlab.model": model, "socketlab.system": "echo (notes 3.3)"}}
            for i, model in enumerate(["iterative", "fork", "thread", "select", "poll", "epoll", "epoll-et",
                                       "asyncio"])}
    return {
        "services": {
            **echo,
            "echo-udp": {"networks": net(18), "ports": [port(18818, 8888, "udp")],
                         "labels": {"socketlab.model": "udp-loop"}},
            "ftp": {"networks": net(21), "labels": {"socketlab.model": "thread"},
                    "ports": [port(18021, 21), *(port(p, p) for p in range(18100, 18228))]},
            "bind-demo": {"networks": {**net(30), **net(30, "private")}, "expose": ["9001/tcp", "9001/udp",
                          "9002/tcp", "9002/udp", "9003/tcp", "9003/udp"],
                          "labels": {"socketlab.model": "bind 127.0.0.1 / public IP / 0.0.0.0"}},
        },
        "networks": {"public": {"ipam": {"config": [{"subnet": f"{PREFIX}.1.0/24", "gateway": f"{PREFIX}.1.1"}]}},
                     "private": {"internal": True,
                                 "ipam": {"config": [{"subnet": f"{PREFIX}.2.0/24", "gateway": f"{PREFIX}.2.1"}]}}},
    }


def _rows() -> tuple[list[HostRow], list]:
    rows, nets = declared_topology(_config())
    # What a running echo container reports: the shared image EXPOSEs TCP and UDP.
    rows = [HostRow(r.service, r.system, r.model, r.addresses, r.ports, "running (healthy)",
                    ["8888/tcp", "8888/udp"] if r.service.startswith("echo") else r.listens) for r in rows]
    return rows, nets


def _render(renderable, width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def _assert_readable(text: str, rows: list[HostRow], width: int) -> None:
    assert "…" not in text, text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    for row in rows:
        for ip in row.addresses.values():
            assert re.search(rf"(?<![\d.]){re.escape(ip)}(?![\d.])", text), f"{ip} cut or missing:\n{text}"


def test_ps_table_fits_80_columns() -> None:
    rows, _ = _rows()
    text = _render(hosts_table(rows, "socketlab", 80), 80)
    _assert_readable(text, rows, 80)
    assert text.count("18100–18227") == 2, text  # serves and host port: one range each, one line each
    assert "18101" not in text
    ftp_lines = [line for line in text.splitlines() if "18100–18227" in line]
    assert len(ftp_lines) == 1
    echo_lines = [line for line in text.splitlines() if re.match(r"\s*echo-(?!udp)", line)]
    assert len(echo_lines) == 8 and all("8888/tcp" in line and "udp" not in line for line in echo_lines)
    assert re.search(r"echo-udp\s.*8888/udp", text)
    assert "9001–9003/tcp+udp" in text
    assert "published on 127.0.0.1" in text


def test_a_wide_terminal_shows_the_published_addresses() -> None:
    rows, _ = _rows()
    text = _render(hosts_table(rows, "socketlab", 160), 160)
    _assert_readable(text, rows, 160)
    assert "127.0.0.1:18100–18227→18100–18227/tcp" in text and "127.0.0.1:18811→8888/tcp" in text


def test_topology_tree_fits_80_columns() -> None:
    rows, nets = _rows()
    text = _render(topology_tree(rows, nets, "socketlab"), 80)
    _assert_readable(text, rows, 80)
    flat = " ".join(text.split())
    assert flat.count("18100–18227") == 2 and "18101" not in flat
    assert "multi-homed: also private 10.255.2.30" in flat
    assert "echo-fork fork serves 8888/tcp host port 18811" in flat
