"""`socketlab bench echo`: every echo model against the same load, in one run.

Three families of cases, as in the notes' closing chapter (并发技术探讨):

* throughput-<size>: 10 connections, closed loop (vmbench/uvloop method):
  each sends a message and waits for all of it to come back. requests/s is
  the server's QPS; latency is its response time.
* idle-<n>: the same 1 KiB load while n more connections sit idle. select and
  poll hand the kernel every descriptor on every call, so idle connections
  cost them; epoll keeps its interest list in the kernel and does not care.
  idle-0 *is* the 1 KiB throughput case (same runs, reported under both names).
* c10k-<n>: n concurrent connections each sending 64 bytes every few seconds
  (the C10K problem: many mostly quiet clients). What matters is whether a
  model holds them all, and with what p99.

Load connections are opened before idle ones, so a model that cannot hold
the idle ones (select past FD_SETSIZE, fork past the pids limit) shows it as
refused idle connections while the load still measures what it does to the
active ones.
"""

from __future__ import annotations

import math
import subprocess
import time
from dataclasses import replace

from socketlab_common.registry import BASELINES as BASELINE_MODELS
from socketlab_common.registry import MODELS

from ..errors import LabError
from .load import LoadError, LoadHosts
from .model import BenchContext, CaseResult
from .server_cpu import wait_until_cores_idle
from .server_state import server_state

SUITE = "echo"

TARGETS: dict[str, str] = {model.name: model.service for model in MODELS + BASELINE_MODELS}
"""Model (as reported) -> compose service. uvloop and c-epoll are peer baselines (profile bench)."""

SERVICES = list(TARGETS.values())
"""What `socketlab bench echo` brings up (the CLI starts only the services its suites name)."""

BASELINES = tuple(model.name for model in BASELINE_MODELS)
ONE_AT_A_TIME = tuple(model.name for model in MODELS if not model.concurrent)
"""Models that serve a single client at a time: every other connection waits (errors are the result)."""

KIB = 1024
CASE_KINDS = ("throughput", "idle", "c10k")


def size_label(size: int) -> str:
    return f"{size // KIB}KiB" if size % KIB == 0 else f"{size}B"


def plan(quick: bool) -> dict[str, object]:
    """Sizes and durations: full for a real run, tiny for the CI smoke run."""
    if quick:
        return {"sizes": (KIB, 10 * KIB, 100 * KIB), "connections": 10, "duration": 0.3, "grace": 2.0,
                "idle": (0, 200), "select_idle": 1100, "c10k": (100,), "interval": 0.4, "c10k_duration": 0.8,
                "c10k_grace": 2.0, "connect_timeout": 6.0}
    # 5 s per closed-loop case: at 2 s, repetitions of one case differed by up to 2x on this VM
    # (two vCPUs whose wake-ups line up one way or another for a whole short run).
    return {"sizes": (KIB, 10 * KIB, 100 * KIB), "connections": 10, "duration": 5.0, "grace": 2.0,
            "idle": (0, 900, 5000), "select_idle": None, "c10k": (100, 1000, 10000), "interval": 3.0,
            "c10k_duration": 6.0, "c10k_grace": 10.0, "connect_timeout": 8.0}


def cases(quick: bool, target: str) -> list[tuple[str, str, dict]]:
    """(case name, loadgen mode, options) for one target."""
    p = plan(quick)
    out: list[tuple[str, str, dict]] = []
    common = {"duration": p["duration"], "grace": p["grace"], "connect-timeout": p["connect_timeout"]}
    for size in p["sizes"]:
        out.append((f"throughput-{size_label(size)}", "echo",
                    {"connections": p["connections"], "size": size, **common}))
    idle_levels = [n for n in p["idle"] if n]
    if target == "select" and p["select_idle"]:
        idle_levels.append(p["select_idle"])  # the smoke run must see select refuse past FD_SETSIZE
    for idle in idle_levels:
        out.append((f"idle-{idle}", "echo", {"connections": p["connections"], "size": KIB, "idle": idle, **common}))
    for conns in p["c10k"]:
        out.append((f"c10k-{conns}", "c10k", {"connections": conns, "size": 64, "interval": p["interval"],
                                                "duration": p["c10k_duration"], "grace": p["c10k_grace"],
                                                "connect-timeout": p["connect_timeout"]}))
    return out


def metrics_of(report: dict, mode: str, options: dict) -> dict[str, float]:
    """The numeric part of a load report, plus what the case asked for."""
    metrics = {k: float(v) for k, v in report.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    metrics["concurrency"] = float(options["connections"] + options.get("idle", 0))
    requested = options["connections"]
    metrics["delivered_fraction"] = metrics.get("connections", 0.0) / requested if requested else math.nan
    return metrics


def describe(case: str, target: str, m: dict[str, float]) -> str:
    """One line on what happened, in the notes' terms, for the table and BENCHMARKS.md."""
    notes = []
    if m.get("idle_requested"):
        held, asked = int(m.get("idle_held", 0)), int(m["idle_requested"])
        if held < asked:
            notes.append(f"held {held} of {asked} idle")
    if case.startswith("c10k") and m.get("connections", 0) < m.get("concurrency", 0):
        notes.append(f"held {int(m.get('connections', 0))} of {int(m['concurrency'])}")
    if m.get("refused"):
        notes.append(f"{int(m['refused'])} connects refused/timed out")
    if m.get("unserved"):
        notes.append(f"{int(m['unserved'])} connected but never served")
    if m.get("stalled"):
        notes.append(f"{int(m['stalled'])} never answered")
    return "; ".join(notes)


def errors_expected(result: CaseResult) -> bool:
    """Errors that are the lesson, not a fault: one-at-a-time serving, and the limits of select and fork."""
    if result.target in ONE_AT_A_TIME:
        return True
    concurrency = result.metrics.get("concurrency", 0)
    if result.target == "select" and concurrency >= 1000:
        return result.case.startswith("c10k")  # FD_SETSIZE: past ~1020 connections select refuses
    if result.target == "fork" and concurrency >= 2000:
        return result.case.startswith("c10k")  # pids_limit 2048
    return False


def run(ctx: BenchContext) -> list[CaseResult]:
    unknown = sorted(set(ctx.targets) - set(TARGETS))
    if unknown:
        raise ValueError(f"no echo model is named {', '.join(unknown)} (models: {', '.join(TARGETS)})")
    ips = ctx.servers_under_test(SUITE, {k: v for k, v in TARGETS.items() if not ctx.targets or k in ctx.targets})
    targets = list(ips)
    pool = LoadHosts(ctx)

    def planned(target: str) -> list[tuple[str, str, dict]]:
        return [c for c in cases(ctx.quick, target) if not ctx.cases or c[0] in ctx.cases]

    if ctx.cases and not any(planned(t) for t in targets):
        raise ValueError(f"no echo case is named {', '.join(ctx.cases)}")
    ctx.expect(sum(len(planned(t)) for t in targets) * ctx.repetitions)
    results: list[CaseResult] = []
    for repetition in range(1, ctx.repetitions + 1):
        # Cases outside, targets inside: slow drifts of a busy machine hit every model alike.
        for case_index in range(max(len(planned(t)) for t in targets)):
            for target in targets:
                target_cases = planned(target)
                if case_index >= len(target_cases):
                    continue
                case, mode, options = target_cases[case_index]
                ctx.progress(f"echo {case} {target} (rep {repetition})")
                if not ctx.quick:  # a smoke run's cases are tiny: nothing to tear down, no timing to protect
                    wait_until_cores_idle(ctx.server_cpuset)  # the last case's teardown is not this one's latency
                results.extend(_explained(ctx, target, time.time(),
                                          _run_case(pool, target, ips[target], case, mode, options, repetition)))
    return results


def _explained(ctx: BenchContext, target: str, started: float, results: list[CaseResult]) -> list[CaseResult]:
    """Unexpected errors get the server's state (running? tasks? last log?) appended to their notes."""
    if not any(r.metrics.get("errors") and not errors_expected(r) for r in results):
        return results
    try:
        state = server_state(ctx.service_container(TARGETS[target]), started)
    except LabError:  # only running containers are found: this one has exited
        state = "server container no longer running"
    return [replace(r, notes="; ".join(n for n in (r.notes, state) if n)) for r in results]


def _run_case(pool: LoadHosts, target: str, ip: str, case: str, mode: str, options: dict,
              repetition: int) -> list[CaseResult]:
    timeout = 120 + options["duration"] + options["connect-timeout"] * 2
    try:
        report = pool.run(mode, ip, options["connections"], timeout,
                          **{k: v for k, v in options.items() if k != "connections"})
    except (LoadError, subprocess.SubprocessError, OSError, ValueError) as exc:
        failed = {"errors": float(options["connections"]), "requests_per_s": 0.0, "connections": 0.0,
                  "concurrency": float(options["connections"] + options.get("idle", 0))}
        return [CaseResult(SUITE, case, target, repetition, failed, notes=f"load run failed: {exc}"[:300])]
    metrics = metrics_of(report, mode, options)
    notes = describe(case, target, metrics)
    out = [CaseResult(SUITE, case, target, repetition, metrics, notes)]
    if case == f"throughput-{size_label(KIB)}" and options["connections"] and not options.get("idle"):
        out.append(CaseResult(SUITE, "idle-0", target, repetition, dict(metrics), notes))
    return out
