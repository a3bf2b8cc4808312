"""BENCHMARKS.md's generated parts: tables and plots between marked lines, nothing else.

BENCHMARKS.md is written by hand. Wherever it holds

    <!-- bench:NAME -->
    ...
    <!-- /bench:NAME -->

the lines in between belong to the generator: `fill` replaces them with the
block NAME rendered from a results document, and leaves every other line as
it was. A block whose suite is not in the document keeps its old content, so
a run of one suite never wipes another's tables. No prose lives here: what a
table means is said in BENCHMARKS.md, beside it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path

from socketlab_common.registry import ALL_NAMES

from ..errors import LabError
from .report import c10k_verdict, client_cpu, find, median, worst

C_FLOOR = "c-epoll"
"""The model every other's CPU per request is divided by."""

BLOCK = re.compile(r"(?P<open><!-- bench:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(?P<close><!-- /bench:(?P=name) -->)",
                   re.DOTALL)


def fill(text: str, blocks: dict[str, str]) -> str:
    """`text` with the body of every marked block named in `blocks` replaced; everything else unchanged."""
    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in blocks:
            return match.group(0)
        body = blocks[name].rstrip("\n")
        return f"{match['open']}{body}\n{match['close']}" if body else f"{match['open']}{match['close']}"
    return BLOCK.sub(replace, text)


def block_names(text: str) -> list[str]:
    return [m["name"] for m in BLOCK.finditer(text)]


# ---------------------------------------------------------------- cells

def _num(value: float, digits: int = 0) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _spread(row: dict | None, metric: str, digits: int = 0) -> str:
    m = row["metrics"].get(metric) if row else None
    if not m:
        return "–"
    if m["n"] <= 1 or m["min"] == m["max"]:
        return _num(m["median"], digits)
    return f"{_num(m['median'], digits)} ({_num(m['min'], digits)}–{_num(m['max'], digits)})"


def _table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)


def _notes(row: dict | None) -> str:
    return "; ".join(row["notes"]).replace("|", "/") if row else ""


def _level(case: str) -> int:
    digits = "".join(ch for ch in case.split("-", 1)[-1] if ch.isdigit())
    return int(digits or 0)


def _cases(rows: list[dict], suite: str, prefix: str) -> list[str]:
    cases = {r["case"] for r in rows if r["suite"] == suite and r["case"].startswith(prefix)}
    return sorted(cases, key=_level)


def _models(rows: list[dict], prefix: str) -> list[str]:
    present = {r["target"] for r in rows if r["suite"] == "echo" and r["case"].startswith(prefix)}
    return [t for t in ALL_NAMES if t in present] + sorted(present - set(ALL_NAMES))


def _image(rel: str, name: str, alt: str) -> str:
    return f"![{alt}]({rel}/{name})\n\n"


# ---------------------------------------------------------------- blocks

def machine_block(document: dict) -> str:
    machine, settings = document["machine"], document["settings"]
    rows = document["summary"]
    spreads = sorted((r["metrics"]["requests_per_s"]["max"] - r["metrics"]["requests_per_s"]["min"])
                     / r["metrics"]["requests_per_s"]["median"]
                     for r in rows if r["suite"] == "echo" and r["case"].startswith("throughput-")
                     and r["metrics"].get("requests_per_s", {}).get("median"))
    body = [
        ["date (UTC)", str(machine.get("date", "?"))],
        ["CPU", f"{machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores"],
        ["memory", f"{machine.get('memory_gib', '?')} GiB"],
        ["kernel", str(machine.get("kernel", "?"))],
        ["Docker / compose", f"{machine.get('docker', '?')} / {machine.get('compose', '?')}"],
        ["load average (1, 5, 15 min) at start", ", ".join(str(x) for x in machine.get("load_average_at_start", []))],
        ["repetitions", f"{settings.get('repetitions')} per case; tables give median (min–max)"],
        ["pinning", f"servers on cpu {settings.get('server_cpuset') or 'any'}, "
                    f"load on cpu {settings.get('load_cpuset') or 'any'}"],
    ]
    if spreads:
        body.append(["spread of requests/s between repetitions (median of (max − min) / median)",
                     f"{spreads[len(spreads) // 2]:.0%}"])
    for run in settings.get("merged_runs", []):
        what = ", ".join(run.get("cases") or run.get("suites") or [])
        if run.get("targets"):
            what += f" ({', '.join(run['targets'])})"
        machine_then = run.get("machine", {})
        load = (machine_then.get("load_average_at_start") or ["?"])[0]
        body.append([f"merged in: {what}", f"run of {machine_then.get('date', '?')}, "
                                            f"{run.get('settings', {}).get('repetitions', '?')} repetitions, "
                                            f"load average at start {load}"])
    return _table(["", ""], body)


def targets_block(document: dict) -> str:
    targets = document.get("targets", [])
    return _table(["suite", "target", "goal", "measured", "met"],
                  [[t.get("suite", ""), t["target"], t["goal"], t["measured"], t["met"]] for t in targets])


def echo_cost_block(rows: list[dict], rel: str) -> str:
    case = "throughput-1KiB"
    floor = median(find(rows, "echo", case, C_FLOOR) or {"metrics": {}}, "server_cpu_us_per_request")
    body = []
    for model in _models(rows, case):
        row = find(rows, "echo", case, model)
        cost = median(row, "server_cpu_us_per_request")
        times = cost / floor if floor and not math.isnan(floor) else math.nan
        body.append([model, _spread(row, "server_cpu_us_per_request", 1),
                     "–" if math.isnan(times) else f"{times:.1f}×", _spread(row, "requests_per_s"),
                     _num(median(row, "p99_ms"), 2), client_cpu(row)])
    return (_image(rel, "echo-server-cpu-per-request.png", "server CPU per request, against the C loop")
            + _table(["model", "server CPU µs/request", f"× {C_FLOOR}", "req/s", "p99 ms", "client CPU"], body))


def echo_throughput_block(rows: list[dict], rel: str) -> str:
    cases = _cases(rows, "echo", "throughput-")
    body = []
    for model in _models(rows, "throughput-"):
        cells = [model] + [_spread(find(rows, "echo", c, model), "requests_per_s") for c in cases]
        last = find(rows, "echo", cases[-1], model)
        cells += [_num(median(last, "mib_per_s"), 1) if last else "–"]
        cells += [_num(median(find(rows, "echo", c, model), "server_cpu_us_per_request"), 1)
                  if find(rows, "echo", c, model) else "–" for c in cases]
        cells += [" / ".join(client_cpu(find(rows, "echo", c, model)) if find(rows, "echo", c, model) else "–"
                             for c in cases)]
        cells.append(_num(max(worst(find(rows, "echo", c, model) or {"metrics": {}}, "errors") for c in cases)))
        body.append(cells)
    sizes = [c.split("-", 1)[1] for c in cases]
    header = (["model"] + [f"{s} req/s" for s in sizes] + [f"{sizes[-1]} MiB/s"]
              + [f"{s} server µs/req" for s in sizes] + ["client CPU (" + " / ".join(sizes) + ")", "errors"])
    return _image(rel, "echo-requests-per-second.png", "requests/s per model") + _table(header, body)


def echo_idle_block(rows: list[dict], rel: str) -> str:
    cases = _cases(rows, "echo", "idle-")
    body = []
    for model in _models(rows, "idle-"):
        cells = [model] + [_spread(find(rows, "echo", c, model), "requests_per_s") for c in cases]
        cells.append(_notes(find(rows, "echo", cases[-1], model)))
        body.append(cells)
    header = ["model"] + [f"{c.split('-', 1)[1]} idle: req/s" for c in cases] + ["notes (largest case)"]
    return _image(rel, "echo-idle-connections.png", "requests/s against idle connections") + _table(header, body)


def echo_c10k_block(rows: list[dict], rel: str) -> str:
    cases = _cases(rows, "echo", "c10k-")
    top = cases[-1]
    body = []
    for model in _models(rows, "c10k-"):
        cells = [model]
        for case in cases:
            row = find(rows, "echo", case, model)
            cells.append(f"{_num(median(row, 'connections'))} / {_num(median(row, 'p99_ms'), 1)}" if row else "–")
        row = find(rows, "echo", top, model)
        cells += [_num(worst(row, "errors")) if row else "–", c10k_verdict(row) if row else "–", _notes(row)]
        body.append(cells)
    header = (["model"] + [f"{c.split('-', 1)[1]}: held / p99 ms" for c in cases]
              + [f"{top.split('-', 1)[1]}: errors (worst)", "verdict", "notes"])
    return _image(rel, "echo-c10k-p99.png", "p99 latency against concurrent connections") + _table(header, body)


_SERVER_CPU = (("server_cpu_us_per_request", "µs/request", 1), ("server_cpu_ms_per_mib", "ms/MiB", 2),
               ("server_cpu_us_per_datagram", "µs/datagram", 1))


def _server_cpu(row: dict) -> str:
    for metric, unit, digits in _SERVER_CPU:
        if metric in row["metrics"]:
            return f"{_num(median(row, metric), digits)} {unit}"
    return "–"


def suite_block(suite: str) -> Callable[[list[dict], str], str]:
    def render(rows: list[dict], _rel: str) -> str:
        body = [[r["case"], r["target"], _spread(r, "requests_per_s"), _spread(r, "mib_per_s", 1),
                 _num(median(r, "p50_ms"), 2), _num(median(r, "p99_ms"), 2), _num(worst(r, "errors")),
                 _server_cpu(r), _notes(r)]
                for r in rows if r["suite"] == suite]
        return _table(["case", "target", "req/s", "MiB/s", "p50 ms", "p99 ms", "errors", "server CPU", "notes"],
                      body)
    return render


ROW_BLOCKS: dict[str, tuple[str, str, Callable[[list[dict], str], str]]] = {
    "echo-cost": ("echo", "throughput-1KiB", echo_cost_block),
    "echo-throughput": ("echo", "throughput-", echo_throughput_block),
    "echo-idle": ("echo", "idle-", echo_idle_block),
    "echo-c10k": ("echo", "c10k-", echo_c10k_block),
    "web-table": ("web", "", suite_block("web")),
    "ftp-table": ("ftp", "", suite_block("ftp")),
    "chat-table": ("chat", "", suite_block("chat")),
}
"""Block name -> (suite, case prefix its rows need, renderer)."""


def render_blocks(document: dict, plots_dir: Path, markdown_path: Path) -> dict[str, str]:
    """Every block the document has figures for."""
    rows = document["summary"]
    rel = os.path.relpath(plots_dir, markdown_path.parent)
    blocks = {"machine": machine_block(document), "targets": targets_block(document)}
    for name, (suite, prefix, render) in ROW_BLOCKS.items():
        if any(r["suite"] == suite and r["case"].startswith(prefix) for r in rows):
            blocks[name] = render(rows, rel)
    return blocks


def write_benchmarks_md(document: dict, markdown_path: Path, plots_dir: Path) -> list[str]:
    """Fill the marked blocks of BENCHMARKS.md; returns the names of blocks it had no place for."""
    try:
        text = markdown_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabError(f"cannot read {markdown_path} ({exc.strerror}): it holds the prose the tables go into") from None
    blocks = render_blocks(document, plots_dir, markdown_path)
    markdown_path.write_text(fill(text, blocks), encoding="utf-8")
    return sorted(set(blocks) - set(block_names(text)))
