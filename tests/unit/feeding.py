"""Feeding a sans-I/O parser its input in pieces: the one helper every parser test uses (h11's `tr()`).

TCP delivers a byte stream, not messages: one `recv` may return a whole
request, several, or a single byte. A parser that is right only for whole
messages is wrong, so each parser test runs its input both ways (`FEEDS`),
and the property tests cut it at arbitrary places (`split_at`).
"""

from __future__ import annotations

from collections.abc import Iterable

FEEDS = ("whole", "bytewise")
"""The two deliveries every parser test is parametrized over."""


def pieces(data: bytes, how: str = "whole") -> list[bytes]:
    """`data` as `recv` might deliver it: in one piece ("whole") or one byte at a time ("bytewise")."""
    if how == "whole":
        return [data]
    if how == "bytewise":
        return [data[i:i + 1] for i in range(len(data))]
    raise ValueError(f"unknown feed {how!r}; choose one of {', '.join(FEEDS)}")


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """`data` cut at the given offsets (any order, repeats and out-of-range offsets ignored)."""
    edges = sorted({c for c in cuts if 0 < c < len(data)})
    starts = [0, *edges]
    ends = [*edges, len(data)]
    return [data[a:b] for a, b in zip(starts, ends, strict=True)]
