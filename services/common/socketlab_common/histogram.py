"""The latency histogram shared by the load generators and the benchmark report.

Bucket b holds latencies up to 1.01**(b+1) microseconds: percentiles are exact
to within 1% and never understate, and reports from several workers or load
hosts merge exactly by adding counts. loadgen-c (C) writes the same buckets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BUCKET_GROWTH = 1.01
"""Buckets grow by 1%."""

_LOG_GROWTH = math.log(BUCKET_GROWTH)


def bucket_of(seconds: float) -> int:
    """The bucket of a latency (microsecond floor, then 1% steps)."""
    micros = max(seconds * 1e6, 1.0)
    return int(math.log(micros) / _LOG_GROWTH)


def bucket_value_ms(bucket: int) -> float:
    """The upper edge of a bucket, in milliseconds."""
    return BUCKET_GROWTH ** (bucket + 1) / 1000.0


def percentile_ms(hist: Mapping[int, int], fraction: float) -> float:
    """The latency (ms) below which `fraction` of the samples lie (nearest rank on buckets)."""
    total = sum(hist.values())
    if not total:
        return 0.0
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket in sorted(hist):
        seen += hist[bucket]
        if seen >= rank:
            return bucket_value_ms(bucket)
    return bucket_value_ms(max(hist))


def merge_histograms(hists: Iterable[Mapping]) -> dict[int, int]:
    """Add histograms bucket by bucket (JSON turns bucket numbers into strings: both are taken)."""
    merged: dict[int, int] = {}
    for hist in hists:
        for bucket, count in hist.items():
            merged[int(bucket)] = merged.get(int(bucket), 0) + int(count)
    return merged
