"""Turning results into tables, files and verdicts: pure functions, no Docker.

A run's results are `CaseResult`s, one per (suite, case, target, repetition).
Rows group them per (suite, case, target) and summarize each metric over the
repetitions: median, with min and max. Targets are judged by
`suites.evaluate_all` on those rows; the C10K verdicts are computed here.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .model import CaseResult
from .stats import summarize
from .suites import CLIENT_BOUND, evaluate_all

C10K_P99_LIMIT_MS = 100.0
"""A model "holds" C10K when every connection stays up, none errs, and p99 stays under this."""


def group(results: Iterable[CaseResult]) -> dict[tuple[str, str, str], list[CaseResult]]:
    """Results per (suite, case, target), in first-seen order."""
    groups: dict[tuple[str, str, str], list[CaseResult]] = {}
    for r in results:
        groups.setdefault((r.suite, r.case, r.target), []).append(r)
    return groups


def summary_rows(results: Iterable[CaseResult]) -> list[dict]:
    """One row per (suite, case, target): every metric summarized over repetitions."""
    rows = []
    for (suite, case, target), reps in group(results).items():
        keys = sorted({k for r in reps for k in r.metrics})
        metrics = {k: summarize(r.metrics[k] for r in reps if k in r.metrics) for k in keys}
        notes = sorted({r.notes for r in reps if r.notes})
        rows.append({"suite": suite, "case": case, "target": target, "repetitions": len(reps),
                     "metrics": metrics, "notes": notes})
    return rows


def median(row: dict, metric: str) -> float:
    m = row["metrics"].get(metric)
    return m["median"] if m else math.nan


def worst(row: dict, metric: str) -> float:
    """The largest value over repetitions (for errors: any repetition with errors counts)."""
    m = row["metrics"].get(metric)
    return m["max"] if m else math.nan


def find(rows: list[dict], suite: str, case: str, target: str) -> dict | None:
    for row in rows:
        if (row["suite"], row["case"], row["target"]) == (suite, case, target):
            return row
    return None


def c10k_verdict(row: dict) -> str:
    """holds / degrades / fails, judged on the median repetition."""
    wanted = median(row, "concurrency")
    held = median(row, "connections")
    errors = median(row, "errors")
    p99 = median(row, "p99_ms")
    if math.isnan(held) or held < wanted * 0.99 or errors > wanted * 0.01:
        return "fails"
    if held < wanted or errors > 0 or p99 >= C10K_P99_LIMIT_MS:
        return "degrades"
    return "holds"


def all_targets(results: list[CaseResult]) -> list[dict]:
    """Every target of the suites `results` hold, judged on their summary rows."""
    return evaluate_all(summary_rows(results))


# ---------------------------------------------------------------- terminal

def _fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _range(row: dict, metric: str, digits: int = 0) -> str:
    m = row["metrics"].get(metric)
    if not m:
        return "-"
    if m["n"] <= 1 or m["min"] == m["max"]:
        return _fmt(m["median"], digits)
    return f"{_fmt(m['median'], digits)} ({_fmt(m['min'], digits)}–{_fmt(m['max'], digits)})"


def client_share(row: dict) -> float:
    """The load generator's share of its cores (NaN if not measured)."""
    share = median(row, "client_cpu_share")
    if math.isnan(share):  # runs that kept only cores used had their load pinned to one core: the same figure
        share = median(row, "client_cpu")
    return share


def client_cpu(row: dict, flag: str = " client-bound") -> str:
    """The load generator's share of its cores, `flag`ged when it, not the server, set the pace."""
    share = client_share(row)
    if math.isnan(share):
        return "-"
    return f"{share:.2f}{flag if share > CLIENT_BOUND else ''}"


WIDE_TABLE = 140
"""From this many columns on, the terminal tables add p50, the range over repetitions and the notes."""

TERMINAL_COLUMNS = (  # metric, header, digits, only on a wide terminal, only for these suites
    ("requests_per_s", "req/s", 0, False, ()),
    ("mib_per_s", "MiB/s", 1, False, ()),
    ("p50_ms", "p50\nms", 2, True, ()),
    ("p99_ms", "p99\nms", 2, False, ()),
    ("errors", "errors", 0, False, ()),
    ("connections", "held", 0, False, ()),
    ("delivered_fraction", "deli-\nvered", 3, False, ("chat",)),  # a datagram may be lost: the point there
    ("server_cpu_us_per_request", "server\nµs/req", 1, False, ()),
    ("server_cpu_ms", "server\ncpu ms", 0, False, ()),
)


def is_alias(row: dict, rows: list[dict]) -> bool:
    """echo's idle-0 is the 1 KiB throughput case under a second name (the idle plot's first point)."""
    return (row["suite"], row["case"]) == ("echo", "idle-0") and find(rows, "echo", "throughput-1KiB",
                                                                        row["target"]) is not None


def by_case(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """The rows of each (suite, case), in the order the cases first appear, aliases left out."""
    cases: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if not is_alias(row, rows):
            cases.setdefault((row["suite"], row["case"]), []).append(row)
    return cases


def _cell(row: dict, metric: str, digits: int, wide: bool) -> str:
    if metric == "errors":
        return _fmt(worst(row, metric))
    if metric == "requests_per_s" and wide:
        return _range(row, metric, digits)
    return _fmt(median(row, metric), digits)


def rich_table(rows: list[dict], title: str = "socketlab bench", width: int = WIDE_TABLE) -> Group:
    """A small table per case, one row per target, with the columns that case measured.

    So that it reads whole at 80 columns, headers sit on two lines, and the notes
    follow the tables as numbered lines (a wide terminal shows them in a column).
    """
    wide = width >= WIDE_TABLE
    notes: list[str] = []
    tables = []
    for (suite, case), members in by_case(rows).items():
        table = Table(title=f"{suite} · {case}", title_justify="left", title_style="bold",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("target", no_wrap=True)
        shown = [(metric, header, digits) for metric, header, digits, wide_only, suites in TERMINAL_COLUMNS
                 if (wide or not wide_only) and (not suites or suite in suites)
                 and any(metric in r["metrics"] for r in members)]
        for _, header, _ in shown:
            table.add_column(header, justify="right", no_wrap=True)
        measured_client = any(not math.isnan(client_share(r)) for r in members)
        if measured_client:
            table.add_column("client\ncpu", justify="right", no_wrap=True)
        if wide:
            table.add_column("notes", overflow="fold")
        for row in members:
            said = "; ".join(row["notes"])
            mark = ""
            if said and not wide:
                if said not in notes:
                    notes.append(said)
                mark = f" [{notes.index(said) + 1}]"
            cells = [row["target"] + mark, *(_cell(row, metric, digits, wide) for metric, _, digits in shown)]
            cells += [client_cpu(row, flag="*")] if measured_client else []
            cells += [said] if wide else []
            table.add_row(*cells)
        tables.append(table)
    legend = [f"client cpu: the load generator's share of its cores; * over {CLIENT_BOUND:g}: client-bound, "
              "it and not the server set the pace."]
    legend += [f"[{number}] {text}" for number, text in enumerate(notes, 1)]
    return Group(Text(title, style="bold"), *tables, *(Text(line) for line in legend))


# ---------------------------------------------------------------- files

def results_document(results: list[CaseResult], machine: dict, settings: dict) -> dict:
    return {"machine": machine, "settings": settings, "results": [asdict(r) for r in results],
            "summary": summary_rows(results), "targets": all_targets(results)}


def load_results(document: dict) -> list[CaseResult]:
    return [CaseResult(**r) for r in document["results"]]


def results_csv(results: list[CaseResult]) -> str:
    keys = sorted({k for r in results for k in r.metrics})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["suite", "case", "target", "repetition", *keys, "notes"])
    for r in results:
        writer.writerow([r.suite, r.case, r.target, r.repetition,
                         *[_csv_value(r.metrics.get(k)) for k in keys], r.notes])
    return buf.getvalue()


def _csv_value(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(round(value, 6)) if isinstance(value, float) else str(value)


def write_results(out_dir: Path, document: dict) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out_dir / "results.json", out_dir / "results.csv"
    json_path.write_text(json.dumps(document, indent=1, allow_nan=True) + "\n")
    csv_path.write_text(results_csv(load_results(document)))
    return json_path, csv_path
