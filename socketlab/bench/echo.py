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

Every case also records the server container's CPU time per echo
(`server_cpu_us_per_request`, from its cgroup) and the load generator's share
of its cores (`client_cpu_share`): the first does not depend on the client or
on the machine's other work, the second says whether the client kept up.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from dataclasses import replace

from ..errors import LabError
from .load import LoadError, LoadHosts
from .model import BenchContext, CaseResult
from .server_cpu import cpu_ns, wait_until_cores_idle
from .server_state import server_state
from .suites import C10K_LEVELS, IDLE_LEVELS, KIB, THROUGHPUT_BYTES, size_label
from .suites import ECHO_SERVICES as TARGETS
from .suites import echo_errors_expected as errors_expected

SUITE = "echo"

CASE_KINDS = ("throughput", "idle", "c10k")

CLASS_PLAN = {"sizes": (KIB,), "connections": 10, "duration": 1.5, "grace": 2.0, "idle": (0,), "select_idle": None,
              "c10k": (1000,), "interval": 1.0, "c10k_duration": 2.0, "c10k_grace": 3.0, "connect_timeout": 6.0}
"""`socketlab bench --quick`, for a class: QPS and p99 at 1 KiB and a thousand connections, per model."""

CASE_OVERHEAD_S = 1.5
"""Seconds a case costs beyond its measuring time (connecting, the warm-up echo, the exec): for estimates."""


def plan(quick: bool, light: bool = False) -> dict[str, object]:
    """Sizes and durations: full for a real run, light for a class, tiny for the CI smoke run."""
    if light:
        seconds = os.environ.get("SOCKETLAB_BENCH_QUICK_SECONDS")  # shorter still, for CI's smoke run
        return {**CLASS_PLAN, "duration": float(seconds), "c10k_duration": float(seconds)} if seconds else CLASS_PLAN
    if quick:
        return {"sizes": (KIB, 10 * KIB, 100 * KIB), "connections": 10, "duration": 0.3, "grace": 2.0,
                "idle": (0, 200), "select_idle": 1100, "c10k": (100,), "interval": 0.4, "c10k_duration": 0.8,
                "c10k_grace": 2.0, "connect_timeout": 6.0}
    # 5 s per closed-loop case: a short run lets one chance alignment of wake-ups set its whole figure.
    return {"sizes": THROUGHPUT_BYTES, "connections": 10, "duration": 5.0, "grace": 2.0,
            "idle": (0, *IDLE_LEVELS), "select_idle": None, "c10k": C10K_LEVELS, "interval": 3.0,
            "c10k_duration": 6.0, "c10k_grace": 10.0, "connect_timeout": 8.0}


def cases(quick: bool, target: str, light: bool = False) -> list[tuple[str, str, dict]]:
    """(case name, loadgen mode, options) for one target."""
    p = plan(quick, light)
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


def estimate_seconds(targets: int, quick: bool = False, light: bool = False) -> float:
    """How long the suite's cases take for this many targets, one repetition (for the CLI's estimate)."""
    per_target = sum(options["duration"] + CASE_OVERHEAD_S for _case, _mode, options in cases(quick, "", light))
    return per_target * targets


def run(ctx: BenchContext) -> list[CaseResult]:
    unknown = sorted(set(ctx.targets) - set(TARGETS))
    if unknown:
        raise ValueError(f"no echo model is named {', '.join(unknown)} (models: {', '.join(TARGETS)})")
    ips = ctx.servers_under_test(SUITE, {k: v for k, v in TARGETS.items() if not ctx.targets or k in ctx.targets})
    targets = list(ips)
    pool = LoadHosts(ctx)

    def planned(target: str) -> list[tuple[str, str, dict]]:
        return [c for c in cases(ctx.quick, target, ctx.light) if not ctx.cases or c[0] in ctx.cases]

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
                if not (ctx.quick or ctx.light):  # tiny cases: nothing to tear down, no timing to protect
                    wait_until_cores_idle(ctx.server_cpuset)  # the last case's teardown is not this one's latency
                server = ctx.service_container(TARGETS[target])
                results.extend(_explained(ctx, target, time.time(), _run_case(
                    pool, target, ips[target], case, mode, options, repetition, server)))
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
              repetition: int, server=None) -> list[CaseResult]:
    timeout = 120 + options["duration"] + options["connect-timeout"] * 2
    try:
        cpu_before = cpu_ns(server)
        report = pool.run(mode, ip, options["connections"], timeout,
                          **{k: v for k, v in options.items() if k != "connections"})
        server_cpu_s = (cpu_ns(server) - cpu_before) / 1e9
    except (LoadError, subprocess.SubprocessError, OSError, ValueError) as exc:
        failed = {"errors": float(options["connections"]), "requests_per_s": 0.0, "connections": 0.0,
                  "concurrency": float(options["connections"] + options.get("idle", 0))}
        return [CaseResult(SUITE, case, target, repetition, failed, notes=f"load run failed: {exc}"[:300])]
    metrics = metrics_of(report, mode, options)
    # The whole run is billed (connecting and the warm-up echo too): a few dozen round trips against
    # the tens of thousands measured.
    if metrics.get("requests") and not math.isnan(server_cpu_s):
        metrics["server_cpu_us_per_request"] = server_cpu_s / metrics["requests"] * 1e6
    if metrics.get("client_cores"):
        metrics["client_cpu_share"] = metrics.get("client_cpu", 0.0) / metrics["client_cores"]
    notes = describe(case, target, metrics)
    out = [CaseResult(SUITE, case, target, repetition, metrics, notes)]
    if case == f"throughput-{size_label(KIB)}" and options["connections"] and not options.get("idle"):
        out.append(CaseResult(SUITE, "idle-0", target, repetition, dict(metrics), notes))
    return out
