"""The web benchmark's pure parts: reading wrk's report, and its targets as the registry judges them."""

from __future__ import annotations

import math

from socketlab.bench.model import CaseResult
from socketlab.bench.report import all_targets
from socketlab.bench.web import parse_wrk, wrk_argv

WRK_REPORT = """Running 5s test @ http://10.91.1.20:8000/bench/1k.txt
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.51ms  812.00us   1.02s    93.40%
    Req/Sec     7.20k   400.11     8.01k    70.00%
  Latency Distribution
     50%    3.40ms
     75%    3.80ms
     90%    4.20ms
     99%  950.00us
  71654 requests in 5.00s, 90.21MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  14330.80
Transfer/sec:     18.04MB
"""


def test_parse_wrk() -> None:
    m = parse_wrk(WRK_REPORT)
    assert m["requests_per_s"] == 14330.80 and m["requests"] == 71654
    assert math.isclose(m["mib_per_s"], 18.04)
    assert [round(m[k], 6) for k in ("p50_ms", "p90_ms", "p99_ms")] == [3.40, 4.20, 0.95]
    assert m["max_ms"] == 1020.0
    assert m["errors"] == 7


def test_wrk_argv_for_the_close_case() -> None:
    argv = wrk_argv("10.0.0.1", "/x", 50, ("Connection: close",), 5)
    assert argv[-1] == "http://10.0.0.1:8000/x" and ["-H", "Connection: close"] == argv[-3:-1]


def test_targets_from_medians() -> None:
    def result(case: str, target: str, rps: float, p50: float = 1.0) -> CaseResult:
        return CaseResult("web", case, target, 1, {"requests_per_s": rps, "p50_ms": p50})

    rows = all_targets([result("keepalive-1KiB", "select", 6000), result("keepalive-1KiB", "nginx", 10000),
                        result("keepalive-1KiB", "http.server", 100), result("latency-1KiB", "select", 1, 0.3)])
    by_name = {r["target"]: r for r in rows}
    assert {r["suite"] for r in rows} == {"web"}
    nginx = by_name["keep-alive 1 KiB vs nginx"]
    assert (nginx["measured"], nginx["met"]) == ("60%", "yes")
    assert by_name["keep-alive 1 KiB vs python -m http.server"]["measured"] == "60.00×"
    assert by_name["Connection: close vs nginx"]["met"] == "n/a"
    latency = by_name["keep-alive latency, median, one connection"]
    assert (latency["measured"], latency["goal"], latency["met"]) == ("0.30 ms", "≤ 5 ms", "yes")
