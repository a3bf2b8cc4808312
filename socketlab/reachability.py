"""The addressing lab's reachability matrix: declared once, run live, judged.

Section 1.1.3 and the bind() comments of 1.2.3 of the notes make claims that
this table states exactly; the integration test and `socketlab check` both
use this module, so what is tested and what the user is shown cannot drift.

Rows are where a probe starts (inside the bind-demo container, a client
host on the public network, one on the private network, and a public host
that routes the private subnet through the NAT router, as an attacker
would); columns are the listeners of the bind-demo service and the address
used to reach them. A private host reaches public addresses only through
the NAT router (公网/内网): the server sees the router's public address,
which the judge checks too.
Every cell is probed over TCP (connect + reply line) and UDP (datagram +
reply datagram); a listener counts as reached only if the reply names the
expected bind, so nothing else answering by accident can pass for it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

PROTOCOLS = ("tcp", "udp")
DEMO_PORTS = {"loopback": 9001, "public-ip": 9002, "any": 9003}
"""Ports of the bind-demo listeners (BIND_PORTS in docker-compose.yml)."""


@dataclass(frozen=True)
class Column:
    title: str
    listener: str  # "loopback" | "public-ip" | "any": which bind-demo listener
    via: str  # "loopback" | "public" | "private": which address of the demo is dialled


@dataclass(frozen=True)
class Row:
    title: str
    network: str  # "inside" (the bind-demo container itself) | "public" | "private"


COLUMNS = (
    Column("127.0.0.1 listener", "loopback", "loopback"),
    Column("public-IP listener", "public-ip", "public"),
    Column("0.0.0.0 via public IP", "any", "public"),
    Column("0.0.0.0 via private IP", "any", "private"),
)
ROWS = (
    Row("inside the container", "inside"),
    Row("public client", "public"),
    Row("private client", "private"),
    Row("public client routed at the router", "public"),
)
EXPECTED: dict[str, tuple[bool, bool, bool, bool]] = {
    # from \ to                127.0.0.1  public-IP  0.0.0.0/public  0.0.0.0/private
    "inside the container": (True, True, True, True),
    "public client": (False, True, True, False),
    "private client": (False, True, True, True),
    "public client routed at the router": (False, True, True, False),
}
"""Who can reach which listener (same for TCP and UDP): the addressing table, with NAT."""

NAT_CELLS = {("private client", "public-IP listener"), ("private client", "0.0.0.0 via public IP")}
"""Cells reached through the NAT router: the server sees the router's public address, not the client's."""


@dataclass(frozen=True)
class Demo:
    """The bind-demo host's two addresses (read from Docker, never assumed)."""

    public_ip: str
    private_ip: str

    def address(self, via: str, row: Row) -> str:
        """The address a host in `row` dials to reach the demo `via` one of its addresses.

        The loopback listener is dialled at 127.0.0.1 from inside; a client
        has no way to name the demo's loopback, so it tries the closest thing:
        the demo's address on the client's own network, at the loopback port.
        """
        if via == "loopback":
            if row.network == "inside":
                return "127.0.0.1"
            return self.public_ip if row.network == "public" else self.private_ip
        return self.public_ip if via == "public" else self.private_ip

    def bind_label(self, listener: str) -> str:
        """What that listener answers as `bind=`: the (host, port) given to bind()."""
        host = {"loopback": "127.0.0.1", "public-ip": self.public_ip, "any": "0.0.0.0"}[listener]
        return f"{host}:{DEMO_PORTS[listener]}"


def target(proto: str, demo: Demo, row: Row, column: Column) -> str:
    """The prober's target string for one protocol of one cell, e.g. ``tcp:10.77.1.30:9002``."""
    return f"{proto}:{demo.address(column.via, row)}:{DEMO_PORTS[column.listener]}"


def row_targets(demo: Demo, row: Row) -> list[str]:
    """Every target one row probes (TCP and UDP of each column), without repeats."""
    return list(dict.fromkeys(target(p, demo, row, c) for c in COLUMNS for p in PROTOCOLS))


@dataclass(frozen=True)
class Attempt:
    """One probe's outcome as the prober reported it."""

    target: str
    outcome: str  # reply | refused | unreachable | timeout | closed | error
    reply: str = ""

    def reached(self, expected_bind: str) -> bool:
        """Reached means: a reply line from exactly the expected bind."""
        return self.outcome == "reply" and f"bind={expected_bind}/" in self.reply

    @property
    def peer_seen(self) -> str | None:
        """The `you=` address the server reported, if it answered."""
        for field in self.reply.split():
            if field.startswith("you="):
                return field[4:].rpartition(":")[0]
        return None


@dataclass(frozen=True)
class Cell:
    row: Row
    column: Column
    expected: bool
    attempts: dict[str, Attempt]  # protocol -> attempt
    expected_bind: str
    expected_peer: str | None = None  # the address the server must see the client as (None: not judged)

    @property
    def via_nat(self) -> bool:
        return (self.row.title, self.column.title) in NAT_CELLS

    @property
    def reached(self) -> dict[str, bool]:
        return {proto: a.reached(self.expected_bind) for proto, a in self.attempts.items()}

    @property
    def peers_seen(self) -> set[str | None]:
        return {a.peer_seen for a in self.attempts.values()}

    @property
    def as_expected(self) -> bool:
        if not all(r == self.expected for r in self.reached.values()):
            return False
        return not (self.expected and self.expected_peer) or self.peers_seen == {self.expected_peer}

    def summary(self) -> str:
        """e.g. ``yes (tcp reply, udp reply)`` or ``no (tcp refused, udp timeout)``."""
        word = "yes" if self.expected else "no"
        detail = ", ".join(f"{p} {a.outcome}" for p, a in self.attempts.items())
        return f"{word} ({detail})"


@dataclass(frozen=True)
class Matrix:
    demo: Demo
    cells: list[Cell]
    sources: dict[str, str]  # row title -> the probing host's own IP

    @property
    def ok(self) -> bool:
        return all(c.as_expected for c in self.cells)

    def unexpected(self) -> list[Cell]:
        return [c for c in self.cells if not c.as_expected]

    def cell(self, row_title: str, column_title: str) -> Cell:
        return next(c for c in self.cells if c.row.title == row_title and c.column.title == column_title)


def judge(demo: Demo, results: Mapping[str, Mapping[str, dict]], sources: Mapping[str, str],
          nat_address: str | None = None) -> Matrix:
    """Turn raw prober output (row title -> target -> result dict) into judged cells.

    A client row's reached cells must show the server its own address
    (`sources`), or the router's public one (`nat_address`) for NAT cells.
    """
    cells = []
    for row in ROWS:
        if row.title not in results:
            continue  # that row was not probed (e.g. only some hosts given)
        for column, expected in zip(COLUMNS, EXPECTED[row.title], strict=True):
            attempts = {}
            for proto in PROTOCOLS:
                tgt = target(proto, demo, row, column)
                raw = results.get(row.title, {}).get(tgt, {"outcome": "error"})
                attempts[proto] = Attempt(tgt, raw.get("outcome", "error"), raw.get("reply", ""))
            peer = nat_address if (row.title, column.title) in NAT_CELLS else sources.get(row.title)
            if row.network == "inside":
                peer = None
            cells.append(Cell(row, column, expected, attempts, demo.bind_label(column.listener), peer))
    return Matrix(demo, cells, dict(sources))


Prober = Callable[[list[str]], list[dict]]
"""Runs the prober on one host: targets in, one result dict per target out."""


def docker_prober(container_id: str, timeout: float = 2.0) -> Prober:
    """Probe from inside a container (`docker exec ... python3 -m socketlab_common.reach`)."""

    def run(targets: list[str]) -> list[dict]:
        proc = subprocess.run(
            ["docker", "exec", container_id, "python3", "-m", "socketlab_common.reach",
             "--timeout", str(timeout), *targets],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"prober failed in {container_id[:12]}: {proc.stderr.strip()}")
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    return run


def run_matrix(demo: Demo, probers: Mapping[str, Prober], sources: Mapping[str, str],
               nat_address: str | None = None) -> Matrix:
    """Probe every row at once (each from its own host) and judge the outcomes."""
    rows = [row for row in ROWS if row.title in probers]

    def probe_row(row: Row) -> tuple[str, dict[str, dict]]:
        found = probers[row.title](row_targets(demo, row))
        return row.title, {r["target"]: r for r in found}

    with ThreadPoolExecutor(max_workers=len(rows) or 1) as pool:
        results = dict(pool.map(probe_row, rows))
    return judge(demo, results, sources, nat_address)


def matrix_table(matrix: Matrix):
    """The matrix as a rich Table: one cell per probe pair, green if as declared, red if not."""
    from rich.table import Table

    table = Table(title=f"reachability of bind-demo ({matrix.demo.public_ip} public, {matrix.demo.private_ip} private)")
    table.add_column("from \\ to")
    for column in COLUMNS:
        port = DEMO_PORTS[column.listener]
        table.add_column(f"{column.title}\n(:{port})", justify="center")
    for row in ROWS:
        cells = [c for c in matrix.cells if c.row == row]
        if not cells:
            continue
        label = f"{row.title}\n{matrix.sources.get(row.title, '')}"
        rendered = []
        for cell in cells:
            got = cell.reached
            seen = ""
            if cell.via_nat and cell.expected:
                seen = "\n[cyan]via NAT, seen as " + ",".join(sorted(p or "?" for p in cell.peers_seen)) + "[/]"
            if cell.as_expected:
                rendered.append(f"[green]✓ {'yes' if cell.expected else 'no'}[/]\n[dim]" +
                                " ".join(f"{p}:{a.outcome}" for p, a in cell.attempts.items()) + "[/]" + seen)
            else:
                rendered.append(f"[bold red]✗ UNEXPECTED[/]\nexpected {'yes' if cell.expected else 'no'}, got " +
                                " ".join(f"{p}:{'yes' if got[p] else 'no'}({a.outcome})"
                                         for p, a in cell.attempts.items()) +
                                (f"\nseen as {','.join(sorted(p or '?' for p in cell.peers_seen))}, "
                                 f"expected {cell.expected_peer}" if cell.expected_peer and all(got.values()) else ""))
        table.add_row(label, *rendered)
    return table
