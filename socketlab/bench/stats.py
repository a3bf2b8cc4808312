"""Pure arithmetic of the benchmarks: histograms, percentiles, repetitions, ratios.

Load generators report latencies as the histograms of
`socketlab_common.histogram`, so reports from several workers and several
load hosts merge exactly by adding counts. Repetitions are summarized by the
median (robust on a shared, noisy machine) with min and max beside it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable

from socketlab_common.histogram import merge_histograms, percentile_ms

SUMMED = ("requests", "errors", "stalled", "refused", "unserved", "connections", "idle_requested", "idle_refused",
          "idle_held", "late", "client_cpu", "bytes", "bytes_verified", "mismatches")


def merge_load_reports(reports: list[dict]) -> dict[str, float]:
    """Combine the JSON reports of several load hosts that ran one case together."""
    if len(reports) == 1:
        merged = dict(reports[0])
        merged.pop("hist", None)
        return merged
    hist = merge_histograms(r.get("hist", {}) for r in reports)
    merged: dict[str, float] = {key: sum(r.get(key, 0) for r in reports) for key in SUMMED if key in reports[0]}
    merged["requests_per_s"] = sum(r["requests_per_s"] for r in reports)
    merged["mib_per_s"] = sum(r["mib_per_s"] for r in reports)
    merged["max_ms"] = max(r["max_ms"] for r in reports)
    for name, fraction in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)):
        merged[name] = percentile_ms(hist, fraction)
    return merged


def summarize(values: Iterable[float]) -> dict[str, float]:
    """Median, min and max of one metric over repetitions."""
    data = sorted(values)
    if not data:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {"median": statistics.median(data), "min": data[0], "max": data[-1], "n": len(data)}


def ratio(numerator: float, denominator: float) -> float:
    """numerator/denominator, NaN when the denominator is zero or missing."""
    if not denominator or math.isnan(denominator) or math.isnan(numerator):
        return math.nan
    return numerator / denominator
