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
Each case also records the server container's CPU time per request.
"""

from __future__ import annotations

import math
import re

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
