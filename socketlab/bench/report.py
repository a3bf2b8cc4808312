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

from rich.table import Table

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


def client_cpu(row: dict) -> str:
    """The load generator's share of its cores, flagged when it, not the server, set the pace."""
    share = median(row, "client_cpu_share")
    if math.isnan(share):  # runs that kept only cores used had their load pinned to one core: the same figure
        share = median(row, "client_cpu")
    if math.isnan(share):
        return "-"
    return f"{share:.2f} client-bound" if share > CLIENT_BOUND else f"{share:.2f}"


def rich_table(rows: list[dict], title: str = "socketlab bench") -> Table:
    table = Table(title=title, title_justify="left")
    for name, justify in (("suite", "left"), ("case", "left"), ("target", "left"),
                          ("req/s median (min–max)", "right"), ("MiB/s", "right"), ("p50 ms", "right"),
                          ("p99 ms", "right"), ("errors", "right"), ("held", "right"),
                          ("server µs/req", "right"), ("client cpu", "right"), ("notes", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for row in rows:
        table.add_row(row["suite"], row["case"], row["target"], _range(row, "requests_per_s"),
                      _fmt(median(row, "mib_per_s"), 1), _fmt(median(row, "p50_ms"), 2),
                      _fmt(median(row, "p99_ms"), 2), _fmt(worst(row, "errors")), _fmt(median(row, "connections")),
                      _fmt(median(row, "server_cpu_us_per_request"), 1), client_cpu(row), "; ".join(row["notes"]))
    return table


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
