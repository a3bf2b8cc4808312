"""PNG plots of a benchmark run (matplotlib, Agg backend: no display needed).

* server CPU per request at 1 KiB per model, against the C loop's (the first plot of BENCHMARKS.md);
* requests/s per model for each throughput case, with min–max whiskers;
* requests/s against idle connections held open (select/poll vs epoll);
* the C10K curve: p99 latency against concurrent connections, per model,
  with the points where a model did not hold every connection marked.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend
from socketlab_common.registry import ALL_NAMES

from .report import median


def _level(case: str) -> int:
    match = re.search(r"(\d+)", case)
    return int(match.group(1)) if match else 0


def _targets(rows: list[dict], prefix: str, suite: str) -> list[str]:
    seen: list[str] = []
    for row in rows:
        if row["suite"] == suite and row["case"].startswith(prefix) and row["target"] not in seen:
            seen.append(row["target"])
    return seen


def _rows_of(rows: list[dict], suite: str, target: str, prefix: str) -> list[dict]:
    """One target's rows for the cases starting with `prefix` (one line of a plot)."""
    return [r for r in rows if r["suite"] == suite and r["target"] == target and r["case"].startswith(prefix)]


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_cost(rows: list[dict], path: Path, suite: str = "echo", case: str = "throughput-1KiB",
              floor: str = "c-epoll") -> Path | None:
    found = [(r["target"], median(r, "server_cpu_us_per_request")) for r in rows
             if (r["suite"], r["case"]) == (suite, case) and "server_cpu_us_per_request" in r["metrics"]]
    if not found:
        return None
    order = {name: i for i, name in enumerate(ALL_NAMES)}
    found.sort(key=lambda item: order.get(item[0], len(order)))
    base = dict(found).get(floor, math.nan)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = ["#999999" if t in ("uvloop", floor) else "#3b75af" for t, _ in found]
    bars = ax.bar([t for t, _ in found], [v for _, v in found], color=colors)
    if not math.isnan(base) and base > 0:
        ax.axhline(base, color="black", linestyle="--", linewidth=1, label=f"{floor} ({base:.1f} µs)")
        for bar, (_t, value) in zip(bars, found, strict=True):
            ax.annotate(f"{value / base:.1f}×", (bar.get_x() + bar.get_width() / 2, value), ha="center",
                        va="bottom", fontsize=8)
        ax.legend(fontsize=8)
    ax.set_ylabel("server CPU per request, µs (median)")
    ax.set_title(f"What one echo costs the server ({case}, cgroup CPU time; grey: baselines)")
    ax.tick_params(axis="x", rotation=45)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_throughput(rows: list[dict], path: Path, suite: str = "echo") -> Path | None:
    cases = [c for c in dict.fromkeys(r["case"] for r in rows if r["suite"] == suite)
             if c.startswith("throughput-")]
    if not cases:
        return None
    targets = _targets(rows, "throughput-", suite)
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 4.2), squeeze=False)
    for ax, case in zip(axes[0], cases, strict=True):
        values, low, high = [], [], []
        for target in targets:
            row = next((r for r in rows if (r["suite"], r["case"], r["target"]) == (suite, case, target)), None)
            m = row["metrics"].get("requests_per_s") if row else None
            med = m["median"] if m else 0.0
            values.append(med)
            low.append(med - (m["min"] if m else 0.0))
            high.append((m["max"] if m else 0.0) - med)
        colors = ["#999999" if t in ("uvloop", "c-epoll") else "#3b75af" for t in targets]
        ax.bar(targets, values, yerr=[low, high], color=colors, capsize=3)
        ax.set_title(f"{suite} {case} (10 connections)")
        ax.set_ylabel("requests/s (median, min–max)")
        ax.tick_params(axis="x", rotation=60)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Requests per second per model (grey: peer baselines)")
    return _save(fig, path)


def plot_idle(rows: list[dict], path: Path, suite: str = "echo") -> Path | None:
    targets = _targets(rows, "idle-", suite)
    if not targets:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for target in targets:
        pts = sorted((_level(r["case"]), median(r, "requests_per_s")) for r in _rows_of(rows, suite, target, "idle-"))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=target)
    ax.set_xlabel("idle connections held open")
    ax.set_ylabel("requests/s at 10 active connections, 1 KiB")
    ax.set_title("Idle connections: the cost of telling the kernel about every socket")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return _save(fig, path)


def plot_c10k(rows: list[dict], path: Path, suite: str = "echo") -> Path | None:
    targets = _targets(rows, "c10k-", suite)
    if not targets:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for target in targets:
        pts = sorted((median(r, "concurrency"), median(r, "p99_ms"), median(r, "connections"))
                     for r in _rows_of(rows, suite, target, "c10k-"))
        xs = [p[0] for p in pts]
        ys = [p[1] if p[1] > 0 and not math.isnan(p[1]) else float("nan") for p in pts]
        if all(math.isnan(y) for y in ys):  # nothing came back at all: no point to draw
            ax.plot([], [], marker="x", linestyle="none", label=f"{target} (no echoes)")
            continue
        line, = ax.plot(xs, ys, marker="o", label=target)
        bad = [(x, y) for (x, y, held) in zip(xs, ys, [p[2] for p in pts], strict=True) if held < x]
        if bad:
            ax.scatter([b[0] for b in bad], [b[1] for b in bad], marker="x", s=90, color=line.get_color(),
                       zorder=3)
    ax.axhline(100, color="red", linestyle="--", linewidth=1, label="100 ms")
    levels = {median(r, "concurrency") for r in rows if r["suite"] == suite and r["case"].startswith("c10k-")}
    if len(levels) > 1:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent connections (each sends 64 B every few seconds)")
    ax.set_ylabel("p99 latency, ms (of the echoes that came back)")
    ax.set_title("The C10K curve (x: not every connection held)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2)
    return _save(fig, path)


def write_plots(rows: list[dict], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    made = [plot_cost(rows, out_dir / "echo-server-cpu-per-request.png"),
            plot_throughput(rows, out_dir / "echo-requests-per-second.png"),
            plot_idle(rows, out_dir / "echo-idle-connections.png"),
            plot_c10k(rows, out_dir / "echo-c10k-p99.png")]
    return [p for p in made if p is not None]
