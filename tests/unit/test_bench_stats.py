"""The benchmark arithmetic: the shared histogram and its percentiles, merging hosts, repetitions."""

from __future__ import annotations

import math

from socketlab_clients import loadgen
from socketlab_common import histogram

from socketlab.bench import stats


def hist_of(latencies_s: list[float]) -> dict[int, int]:
    hist: dict[int, int] = {}
    for lat in latencies_s:
        b = histogram.bucket_of(lat)
        hist[b] = hist.get(b, 0) + 1
    return hist


def test_percentiles_are_within_one_percent_and_never_understate() -> None:
    latencies = [i / 1000 / 1000 * 10 for i in range(1, 1001)]  # 10 µs .. 10 ms
    hist = hist_of(latencies)
    for fraction in (0.5, 0.9, 0.99, 1.0):
        exact = sorted(latencies)[math.ceil(fraction * len(latencies)) - 1] * 1000
        got = histogram.percentile_ms(hist, fraction)
        assert exact <= got <= exact * 1.0101, (fraction, exact, got)


def test_empty_histogram_gives_zero() -> None:
    assert histogram.percentile_ms({}, 0.99) == 0.0


def test_merging_histograms_equals_one_histogram_of_everything() -> None:
    a, b = [0.001] * 98, [0.5] * 2
    merged = histogram.merge_histograms([hist_of(a), {str(k): v for k, v in hist_of(b).items()}])
    assert merged == hist_of(a + b)
    assert histogram.percentile_ms(merged, 0.98) < 1.1
    assert histogram.percentile_ms(merged, 0.99) > 400


def test_merge_load_reports_sums_counts_and_recomputes_percentiles() -> None:
    fast = {"requests": 98, "requests_per_s": 98.0, "mib_per_s": 1.0, "max_ms": 1.0, "errors": 0, "stalled": 0,
            "refused": 0, "connections": 5, "client_cpu": 0.5, "hist": hist_of([0.001] * 98)}
    slow = {"requests": 2, "requests_per_s": 2.0, "mib_per_s": 0.5, "max_ms": 500.0, "errors": 1, "stalled": 1,
            "refused": 2, "connections": 4, "client_cpu": 0.25, "hist": hist_of([0.5] * 2)}
    merged = stats.merge_load_reports([fast, slow])
    assert merged["requests"] == 100 and merged["requests_per_s"] == 100.0
    assert merged["errors"] == 1 and merged["refused"] == 2 and merged["connections"] == 9
    assert merged["max_ms"] == 500.0
    assert merged["p50_ms"] < 1.1 and merged["p99_ms"] > 400
    assert "hist" not in stats.merge_load_reports([fast])


def test_summarize_repetitions() -> None:
    assert stats.summarize([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert stats.summarize([])["n"] == 0


def test_ratio_handles_missing_denominators() -> None:
    assert stats.ratio(9.0, 10.0) == 0.9
    assert math.isnan(stats.ratio(1.0, 0.0))
    assert math.isnan(stats.ratio(math.nan, 1.0))


def test_split_spreads_connections_evenly() -> None:
    assert loadgen.split(10, 3) == [4, 3, 3]
    assert sum(loadgen.split(10000, 7)) == 10000


def test_more_load_hosts_when_one_host_has_too_few_ports_or_descriptors() -> None:
    from socketlab.bench.load import LoadHosts

    started: list[int] = []

    class FakeCtx:
        def client_host(self, network: str, number: int) -> str:
            started.append(number)
            return f"host-{number}"

    pool = LoadHosts(FakeCtx())  # type: ignore[arg-type]
    pool.limits = {"nofile": 20000, "ports": 28232, "cpus": 1}
    assert pool.host_capacity() == 19936  # one process: its descriptors, fewer than the ports
    assert pool.hosts_for(10000) == ["host-60"]
    assert pool.hosts_for(30000) == ["host-60", "host-61"]
    pool.limits = {"nofile": 1024, "ports": 28232, "cpus": 1}  # loadgen-c: one process of 960 descriptors
    assert pool.host_capacity() == 960
    assert pool.hosts_for(2000) == ["host-60", "host-61", "host-62"]
    assert started == [60, 61, 62]
