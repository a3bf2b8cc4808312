"""The declared reachability matrix and its judging, fed synthetic prober output."""

from __future__ import annotations

from rich.console import Console

from socketlab.reachability import (
    COLUMNS,
    EXPECTED,
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
| private client | no | no | no | yes |
"""


def test_expected_table_is_the_issues_table_verbatim() -> None:
    declared = {title: tuple(cell == "yes" for cell in cells)
                for title, *cells in ([p.strip() for p in line.strip("|").split("|")]
                                      for line in ISSUE_TABLE.strip().splitlines())}
    assert declared == EXPECTED
    assert [c.title for c in COLUMNS] == ["127.0.0.1 listener", "public-IP listener", "0.0.0.0 via public IP",
                                          "0.0.0.0 via private IP"]
    assert [r.title for r in ROWS] == list(EXPECTED)


def test_each_row_dials_the_addresses_it_could_know() -> None:
    inside, public, private = ROWS
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
        for proto in ("tcp", "udp"):
            tgt = target(proto, DEMO, row, column)
            if tgt in targets and tgt not in [o["target"] for o in out]:
                out.append({"target": tgt, "outcome": "reply",
                            "reply": f"bind={DEMO.bind_label(column.listener)}/{proto} you=10.77.1.99:1"}
                           if ok else {"target": tgt, "outcome": "timeout"})
    return out


def _probers(broken: str | None = None):
    def make(title: str):
        def run(targets: list[str]) -> list[dict]:
            results = _ideal(targets, title)
            if title == broken:  # e.g. a firewall hole: the private client reaches the public IP
                for r in results:
                    if r["target"] == "tcp:10.77.1.30:9002":
                        r.update(outcome="reply", reply="bind=10.77.1.30:9002/tcp you=10.77.2.99:1")
            return results
        return run
    return {row.title: make(row.title) for row in ROWS}


def test_a_lab_as_declared_passes_and_renders() -> None:
    matrix = run_matrix(DEMO, _probers(), {r.title: "x" for r in ROWS})
    assert matrix.ok and not matrix.unexpected()
    assert len(matrix.cells) == 12
    console = Console(record=True, width=140)
    console.print(matrix_table(matrix))
    text = console.export_text()
    assert text.count("✓") == 12 and "UNEXPECTED" not in text


def test_one_wrong_cell_is_reported_and_only_that_one() -> None:
    matrix = run_matrix(DEMO, _probers(broken="private client"), {})
    bad = matrix.unexpected()
    assert [(c.row.title, c.column.title) for c in bad] == [("private client", "public-IP listener")]
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
