"""`socketlab bench web`: the notes' WebServer against nginx and `python -m http.server`, same run, same files.

`wrk` runs on a load host (a client container on the lab network, pinned to
the load cores) against each server in turn; cases are interleaved per
target so a busy machine's drifts hit every server alike. Cases:

* keepalive-1KiB: 50 persistent connections fetching a 1 KiB file;
* close-1KiB: the same with ``Connection: close`` (a TCP connection per request);
* keepalive-100KiB: 50 persistent connections fetching a 100 KiB file;
* latency-1KiB: one persistent connection, one request at a time: the
  response time itself (a head sent apart from its body would show
  Nagle/delayed-ACK stalls of ~40 ms here).

`python -m http.server` speaks HTTP/1.0 and closes after every response,
so its keep-alive cases are really close cases: that is what it does.
Standalone: ``python -m socketlab.bench.web [--quick] [--repetitions N]``
brings up its own stack (SOCKETLAB_BENCH_PROJECT etc.), prints ratios and
the issue's targets, and takes the stack down.
"""

from __future__ import annotations

import math
import re
import statistics

from .model import BenchContext, CaseResult
from .server_cpu import cpu_ns

SUITE = "web"

TARGETS: dict[str, str] = {"select": "web", "nginx": "web-nginx", "http.server": "web-pyhttp"}
"""Server (as reported) -> compose service; nginx and http.server are peers (profile bench)."""

SERVICES = list(TARGETS.values())

CASES: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("keepalive-1KiB", "/bench/1k.txt", 50, ()),
    ("close-1KiB", "/bench/1k.txt", 50, ("Connection: close",)),
    ("keepalive-100KiB", "/bench/100k.txt", 50, ()),
    ("latency-1KiB", "/bench/1k.txt", 1, ()),
]
"""(case, path, connections, extra request headers)."""

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_UNITS_MIB = {"B": 1 / 2**20, "KB": 1 / 2**10, "MB": 1.0, "GB": 2**10}


def duration(quick: bool) -> int:
    return 1 if quick else 5


def wrk_argv(ip: str, path: str, connections: int, headers: tuple[str, ...], seconds: int) -> list[str]:
    argv = ["wrk", "-t", "2" if connections > 1 else "1", "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", "5s", "--latency"]
    for header in headers:
        argv += ["-H", header]
    return [*argv, f"http://{ip}:8000{path}"]


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * _UNITS_MS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """The numbers of a `wrk --latency` report (requests/s, MiB/s, percentiles in ms, errors)."""
    metrics: dict[str, float] = {}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise ValueError(f"not a wrk report: {output[-300:]!r}")
    metrics["requests_per_s"] = float(rps.group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", output)
    metrics["mib_per_s"] = float(transfer.group(1)) * _UNITS_MIB[transfer.group(2)] if transfer else 0.0
    for pct, key in (("50", "p50_ms"), ("90", "p90_ms"), ("99", "p99_ms")):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        if found:
            metrics[key] = _ms(found.group(1))
    latency = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)
    if latency:
        metrics["max_ms"] = _ms(latency.group(1))
    total = re.search(r"(\d+) requests in", output)
    metrics["requests"] = float(total.group(1)) if total else 0.0
    errors = 0.0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        errors += sum(float(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += float(non_2xx.group(1))
    metrics["errors"] = errors
    return metrics


def run(ctx: BenchContext) -> list[CaseResult]:
    ips = ctx.servers_under_test(SUITE, TARGETS)
    targets = list(ips)
    ctx.expect(len(CASES) * len(targets) * ctx.repetitions)
    host = ctx.client_host()
    seconds = duration(ctx.quick)
    results: list[CaseResult] = []
    for repetition in range(1, ctx.repetitions + 1):
        for case, path, connections, headers in CASES:
            for target in targets:
                ctx.progress(f"web {case} {target} (rep {repetition})")
                argv = wrk_argv(ips[target], path, connections, headers, seconds)
                container = ctx.service_container(TARGETS[target])
                cpu_before = cpu_ns(container) / 1e9
                result = host.run(*argv, timeout=seconds + 60)
                cpu_used = cpu_ns(container) / 1e9 - cpu_before
                try:
                    if result.exit_code != 0:
                        raise ValueError(result.output.strip()[-300:])
                    metrics = parse_wrk(result.stdout)
                    if metrics["requests"] and not math.isnan(cpu_used):
                        metrics["server_cpu_us_per_request"] = cpu_used / metrics["requests"] * 1e6
                    notes = ""
                except ValueError as exc:
                    metrics = {"requests_per_s": 0.0, "errors": float(connections)}
                    notes = f"wrk failed: {exc}"[:300]
                metrics["connections"] = float(connections)
                results.append(CaseResult(SUITE, case, target, repetition, metrics, notes))
    return results


def medians(results: list[CaseResult], metric: str) -> dict[tuple[str, str], float]:
    """Median of `metric` over repetitions, per (case, target)."""
    values: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if r.suite == SUITE and metric in r.metrics:
            values.setdefault((r.case, r.target), []).append(r.metrics[metric])
    return {key: statistics.median(v) for key, v in values.items()}


def web_targets(results: list[CaseResult]) -> list[dict]:
    """Issue 3's targets, measured: ratios of medians, and the keep-alive latency."""
    rps = medians(results, "requests_per_s")
    p50 = medians(results, "p50_ms")

    def ratio(case: str, peer: str) -> float:
        ours, theirs = rps.get((case, "select"), math.nan), rps.get((case, peer), math.nan)
        return ours / theirs if theirs else math.nan

    rows = []
    for case, peer, goal, label in [
        ("keepalive-1KiB", "nginx", 0.6, "keep-alive 1 KiB, 50 conns vs nginx"),
        ("close-1KiB", "nginx", 0.9, "Connection: close vs nginx"),
        ("keepalive-100KiB", "nginx", 0.6, "100 KiB file vs nginx"),
        ("keepalive-1KiB", "http.server", 30.0, "keep-alive 1 KiB vs python -m http.server"),
    ]:
        value = ratio(case, peer)
        shown = "n/a" if math.isnan(value) else (f"{value:.1f}x" if goal > 1 else f"{value:.0%}")
        rows.append({"target": label, "goal": f">= {goal:.0f}x" if goal > 1 else f">= {goal:.0%}",
                     "measured": shown, "met": "n/a" if math.isnan(value) else ("yes" if value >= goal else "no")})
    latency = p50.get(("latency-1KiB", "select"), math.nan)
    rows.append({"target": "keep-alive latency, median (1 connection)", "goal": "< 5 ms",
                 "measured": "n/a" if math.isnan(latency) else f"{latency:.2f} ms",
                 "met": "n/a" if math.isnan(latency) else ("yes" if latency < 5 else "no")})
    return rows


def table(results: list[CaseResult]) -> str:
    """A plain-text table: requests/s and p50 per case and server, and our ratio to each peer."""
    rps, p50 = medians(results, "requests_per_s"), medians(results, "p50_ms")
    errors, cpu = medians(results, "errors"), medians(results, "server_cpu_us_per_request")
    lines = [f"{'case':<18}{'server':<13}{'req/s':>10}{'p50 ms':>9}{'errors':>8}{'select/this':>13}"
             f"{'cpu us/req':>12}{'this/select cpu':>17}"]
    for case, *_ in CASES:
        for target in TARGETS:
            if (case, target) not in rps:
                continue
            ours = rps.get((case, "select"), math.nan)
            mine = rps[(case, target)]
            share = f"{ours / mine:.2f}" if mine and target != "select" else ""
            our_cpu, their_cpu = cpu.get((case, "select"), math.nan), cpu.get((case, target), math.nan)
            efficiency = f"{their_cpu / our_cpu:.2f}" if our_cpu and target != "select" else ""
            lines.append(f"{case:<18}{target:<13}{mine:>10,.0f}{p50.get((case, target), math.nan):>9.2f}"
                         f"{errors.get((case, target), 0):>8.0f}{share:>13}{their_cpu:>12.1f}{efficiency:>17}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Standalone run on a stack of its own (see stack.bench_settings), then a table of ratios."""
    import argparse

    import docker

    from ..images import EVERY_PROFILE, build_images
    from . import stack

    parser = argparse.ArgumentParser(prog="python -m socketlab.bench.web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--keep-up", action="store_true")
    args = parser.parse_args(argv)
    settings = stack.bench_settings()
    client = docker.from_env()
    build_images(settings, quiet=True, profiles=EVERY_PROFILE)
    stack.up(settings, SERVICES)
    server_cpus, load_cpus = stack.cpu_split(not args.no_pin)
    ctx = BenchContext(settings, client, quick=args.quick, repetitions=args.repetitions, load_cpuset=load_cpus,
                       progress=print, server_cpuset=server_cpus)
    try:
        results = run(ctx)
    finally:
        ctx.stop_hosts()
        if not args.keep_up:
            stack.down(settings)
    print(table(results))
    for row in web_targets(results):
        print(f"target {row['target']}: {row['measured']} (goal {row['goal']}) met: {row['met']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
