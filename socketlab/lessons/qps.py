"""QPS and latency in under a minute: the lab's load generator on two client hosts, merged.

The closing chapter of the notes names the measures of a server (QPS, response time,
concurrent users). Lesson 5.2 measures the learner's own server with the load generator of
`socketlab bench` (clients/socketlab_clients/loadgen.py, run through its command line on
client hosts, no new load code), beside the lab's echo-epoll service. The table is for
the learner to read: speed is never a verdict on a shared machine, errors are.
"""

from __future__ import annotations

import json

from ..bench.stats import merge_load_reports
from ..hosts import ClientHost
from .kit import Checkup, tail
from .servers import PORT, together
from .verdict import Verdict, passed

LOAD = {"connections": 8, "size": 64, "duration": 2.0}
"""Per host: a small, quick closed loop (the whole measurement stays in seconds)."""


def loadgen_argv(ip: str) -> list[str]:
    return ["loadgen", "echo", ip, str(PORT), "--connections", str(LOAD["connections"]), "--size", str(LOAD["size"]),
            "--duration", str(LOAD["duration"]), "--workers", "1", "--connect-timeout", "3", "--grace", "1"]


def measure(run: Checkup, hosts: list[ClientHost], ip: str) -> dict:
    """Run the load from every host at once; the merged report, or {"problem": ...} if it did not run."""
    def one(host: ClientHost) -> dict:
        result = host.run(*loadgen_argv(ip), timeout=run.bound(LOAD["duration"] + 25))
        try:
            return json.loads(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"problem": f"loadgen on {host.ip} failed: {tail(result.output, 2)}"}

    reports = together(*[lambda h=h: one(h) for h in hosts])
    problems = [r["problem"] for r in reports if "problem" in r]
    if problems:
        return {"problem": problems[0]}
    return merge_load_reports(reports)


def table(yours: dict, lab_epoll: dict | None) -> str:
    """Your server and echo-epoll side by side (the detail of the measured verdict)."""
    rows = [("QPS (requests/s)", "requests_per_s", "{:,.0f}"), ("p50 latency ms", "p50_ms", "{:.2f}"),
            ("p99 latency ms", "p99_ms", "{:.2f}"), ("errors", "errors", "{:.0f}"),
            ("connections", "connections", "{:.0f}")]
    head = f"{'':18}{'your server':>14}" + (f"{'echo-epoll':>14}" if lab_epoll else "")
    lines = [head]
    for label, key, fmt in rows:
        line = f"{label:18}{fmt.format(yours.get(key, 0)):>14}"
        if lab_epoll:
            value = lab_epoll.get(key)
            line += f"{fmt.format(value) if value is not None else '-':>14}"
        lines.append(line)
    if lab_epoll is None:
        lines.append("(echo-epoll is not running: `make up` to compare)")
    elif "problem" in lab_epoll:
        lines.append(f"(echo-epoll: {lab_epoll['problem']})")
    return "\n".join(lines)


def measured_verdict(yours: dict, lab_epoll: dict | None) -> Verdict:
    qps, p50, p99 = yours.get("requests_per_s", 0), yours.get("p50_ms", 0), yours.get("p99_ms", 0)
    return passed(f"测量完成：每秒 {qps:,.0f} 个请求，延迟 p50 {p50:.2f} ms、p99 {p99:.2f} ms（只供参考，不评判快慢）",
                  f"measured: {qps:,.0f} requests/s, latency p50 {p50:.2f} ms, p99 {p99:.2f} ms (for reading, "
                  "not judged)", key="measured", detail=table(yours, lab_epoll))
