"""The declared reachability matrix and its judging, fed synthetic prober output."""

from __future__ import annotations

from rich.console import Console

from socketlab.reachability import (
    COLUMNS,
    EXPECTED,
    NAT_CELLS,
    ROWS,
    Attempt,
    Demo,
    judge,
    matrix_table,
    row_targets,
    run_matrix,
    target,
)

DEMO = Demo("10.77.1.30", "10.77.2.30")
ISSUE_TABLE = """
| inside the container | yes | yes | yes | yes |
| public client | no | yes | yes | no |
| private client | no | yes | yes | yes |
| public client routed at the router | no | yes | yes | no |
"""
ROUTER = "10.77.1.2"
SOURCES = {"inside the container": "10.77.1.30 + 10.77.2.30", "public client": "10.77.1.50",
           "private client": "10.77.2.90", "public client routed at the router": "10.77.1.51"}


def test_expected_table_is_the_issues_table_verbatim() -> None:
    declared = {title: tuple(cell == "yes" for cell in cells)
                for title, *cells in ([p.strip() for p in line.strip("|").split("|")]
                                      for line in ISSUE_TABLE.strip().splitlines())}
    assert declared == EXPECTED
    assert [c.title for c in COLUMNS] == ["127.0.0.1 listener", "public-IP listener", "0.0.0.0 via public IP",
                                          "0.0.0.0 via private IP"]
    assert [r.title for r in ROWS] == list(EXPECTED)


def test_each_row_dials_the_addresses_it_could_know() -> None:
    inside, public, private, _intruder = ROWS
    assert target("tcp", DEMO, inside, COLUMNS[0]) == "tcp:127.0.0.1:9001"
    assert target("udp", DEMO, public, COLUMNS[0]) == "udp:10.77.1.30:9001"
    assert target("tcp", DEMO, private, COLUMNS[0]) == "tcp:10.77.2.30:9001"
    assert target("tcp", DEMO, private, COLUMNS[1]) == "tcp:10.77.1.30:9002"
    assert target("tcp", DEMO, public, COLUMNS[3]) == "tcp:10.77.2.30:9003"
    assert len(row_targets(DEMO, inside)) == 8 and len(set(row_targets(DEMO, public))) == 8


def _ideal(targets: list[str], row_title: str) -> list[dict]:
    """What a lab behaving exactly as declared would report for `targets` from `row_title`."""
    row = next(r for r in ROWS if r.title == row_title)
    out = []
    for column, ok in zip(COLUMNS, EXPECTED[row_title], strict=True):
        you = ROUTER if (row_title, column.title) in NAT_CELLS else SOURCES[row_title].split()[0]
        for proto in ("tcp", "udp"):
            tgt = target(proto, DEMO, row, column)
            if tgt in targets and tgt not in [o["target"] for o in out]:
                out.append({"target": tgt, "outcome": "reply",
                            "reply": f"bind={DEMO.bind_label(column.listener)}/{proto} you={you}:1"}
                           if ok else {"target": tgt, "outcome": "timeout"})
    return out


def _probers(broken: str | None = None):
    def make(title: str):
        def run(targets: list[str]) -> list[dict]:
            results = _ideal(targets, title)
            if title == broken:  # a router that lets connections in: the private address answers
                for r in results:
                    if r["target"] == "tcp:10.77.2.30:9003":
                        r.update(outcome="reply", reply="bind=0.0.0.0:9003/tcp you=10.77.1.51:1")
            return results
        return run
    return {row.title: make(row.title) for row in ROWS}


def test_a_lab_as_declared_passes_and_renders() -> None:
    matrix = run_matrix(DEMO, _probers(), SOURCES, nat_address=ROUTER)
    assert matrix.ok and not matrix.unexpected()
    assert len(matrix.cells) == 16
    console = Console(record=True, width=160)
    console.print(matrix_table(matrix))
    text = console.export_text()
    assert text.count("✓") == 16 and "UNEXPECTED" not in text
    assert text.count(f"via NAT, seen as {ROUTER}") == 2


def test_one_wrong_cell_is_reported_and_only_that_one() -> None:
    intruder = "public client routed at the router"
    matrix = run_matrix(DEMO, _probers(broken=intruder), SOURCES, nat_address=ROUTER)
    bad = matrix.unexpected()
    assert [(c.row.title, c.column.title) for c in bad] == [(intruder, "0.0.0.0 via private IP")]
    assert bad[0].reached == {"tcp": True, "udp": False}
    console = Console(record=True, width=160)
    console.print(matrix_table(matrix))
    assert "UNEXPECTED" in console.export_text()


def test_a_reply_from_another_bind_does_not_count() -> None:
    attempt = Attempt("tcp:10.77.1.30:9003", "reply", "bind=10.77.1.30:9002/tcp you=10.77.1.5:7")
    assert not attempt.reached("0.0.0.0:9003")
    assert attempt.reached("10.77.1.30:9002")
    assert attempt.peer_seen == "10.77.1.5"
    assert Attempt("x", "refused").peer_seen is None


def test_only_probed_rows_are_judged() -> None:
    matrix = judge(DEMO, {"public client": {r["target"]: r for r in _ideal(row_targets(DEMO, ROWS[1]),
                                                                          "public client")}}, {})
    assert {c.row.title for c in matrix.cells} == {"public client"} and matrix.ok


def test_a_nat_cell_must_show_the_router_not_the_client() -> None:
    """A private client that reached a public address with its own source address went round the NAT."""
    results = {"private client": {r["target"]: r for r in _ideal(row_targets(DEMO, ROWS[2]), "private client")}}
    assert judge(DEMO, results, SOURCES, nat_address=ROUTER).ok
    for r in results["private client"].values():
        r["reply"] = r.get("reply", "").replace(f"you={ROUTER}:", "you=10.77.2.90:")
    bad = judge(DEMO, results, SOURCES, nat_address=ROUTER).unexpected()
    assert sorted((c.row.title, c.column.title) for c in bad) == sorted(NAT_CELLS)
    assert all(c.peers_seen == {"10.77.2.90"} and c.expected_peer == ROUTER for c in bad)


def test_a_public_cell_must_show_the_clients_own_address() -> None:
    results = {"public client": {r["target"]: r for r in _ideal(row_targets(DEMO, ROWS[1]), "public client")}}
    assert judge(DEMO, results, SOURCES).ok
    for r in results["public client"].values():
        r["reply"] = r.get("reply", "").replace("you=10.77.1.50:", "you=10.77.1.2:")
    assert {c.column.title for c in judge(DEMO, results, SOURCES).unexpected()} == {
        "public-IP listener", "0.0.0.0 via public IP"}
