"""A smoke run of every benchmark case, tiny sizes, against the real containers.

Every suite registered in `socketlab.bench.SUITES` runs here with
`quick=True` and one repetition; the test checks that each result is well
formed and that errors are zero wherever zero is the expected outcome (a
suite may say otherwise with `errors_expected(result) -> bool`, e.g. the
iterative echo server leaves all but one client waiting, by design). No
test here asserts a speed.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import time
from collections.abc import Iterator

import pytest

from socketlab.bench import SUITES, BenchContext, CaseResult
from socketlab.compose import run_compose

from .lab import ComposeLab


def bench_profile_services(lab: ComposeLab) -> list[str]:
    """Services only the benchmark starts (compose profile `bench`): peer baselines and references."""
    config = json.loads(run_compose(lab.settings, "--profile", "*", "config", "--format", "json",
                                    capture=True).stdout)
    return [name for name, service in config["services"].items() if "bench" in service.get("profiles", [])]


@pytest.fixture(scope="module")
def bench_lab(lab: ComposeLab) -> Iterator[ComposeLab]:
    """The test stack plus the `bench` profile's services (CI's `up` does not start profiles)."""
    services = bench_profile_services(lab)
    if services:
        run_compose(lab.settings, "--profile", "bench", "up", "-d", "--wait", "--no-build", *services, capture=True)
    try:
        yield lab
    finally:
        if services:
            run_compose(lab.settings, "--profile", "bench", "rm", "-sf", *services, capture=True)


THROUGHPUT_KEYS = {"requests_per_s", "mib_per_s"}


def throughput(result: CaseResult) -> float:
    return max(result.metrics.get(key, 0.0) for key in THROUGHPUT_KEYS)


def well_formed(result: CaseResult, suite: str) -> None:
    assert result.suite == suite
    assert result.case and result.target and isinstance(result.repetition, int) and result.repetition >= 0
    assert result.metrics, result
    for key, value in result.metrics.items():
        assert isinstance(value, float | int) and not math.isnan(value) and value >= 0, (result, key)
    assert THROUGHPUT_KEYS & result.metrics.keys(), (result, "no throughput metric")


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_every_case_of_the_suite_runs_with_sane_results(suite: str, bench_lab: ComposeLab) -> None:
    module = importlib.import_module(f"socketlab.bench.{SUITES[suite]}")
    ctx = BenchContext(bench_lab.settings, bench_lab.docker, quick=True, repetitions=1)
    try:
        results = module.run(ctx)
    finally:
        ctx.stop_hosts()
    assert results, f"suite {suite} produced no results"
    expected_errors = getattr(module, "errors_expected", lambda _result: False)
    for result in results:
        well_formed(result, suite)
        if not expected_errors(result):
            assert result.metrics.get("errors", 0) == 0, result
            assert throughput(result) > 0, result
    if suite == "echo":
        check_echo_lessons(results)


def check_echo_lessons(results: list[CaseResult]) -> None:
    """What the echo suite must show even in a smoke run."""
    by_key = {(r.case, r.target): r for r in results}
    select = by_key.get(("idle-1100", "select"))
    if select is not None:  # select refuses descriptors past FD_SETSIZE as a result, not a crash
        held = select.metrics["idle_held"]
        assert 0 < held < 1100, select
        assert select.metrics["errors"] == 0 and select.metrics["requests_per_s"] > 0, select
        assert "held" in select.notes
    iterative = by_key.get(("throughput-1KiB", "iterative"))
    if iterative is not None:  # one client at a time: exactly one of the ten is served
        assert iterative.metrics["connections"] == 1, iterative
        assert iterative.metrics["errors"] == 9, iterative


def test_unexpected_errors_carry_the_server_state(bench_lab: ComposeLab) -> None:
    """A case that fails where it should not says what the server container looked like afterwards."""
    from socketlab.bench import echo

    ctx = BenchContext(bench_lab.settings, bench_lab.docker, quick=True, repetitions=1)
    failed = CaseResult("echo", "c10k-100", "thread", 1, {"errors": 5.0, "requests_per_s": 0.0}, "5 never answered")
    clean = CaseResult("echo", "c10k-100", "thread", 1, {"errors": 0.0, "requests_per_s": 9.0})
    lesson = CaseResult("echo", "throughput-1KiB", "iterative", 1, {"errors": 9.0, "requests_per_s": 9.0})
    [explained] = echo._explained(ctx, "thread", time.time() - 600, [failed])
    assert re.fullmatch(r"5 never answered; server running, [1-9]\d* tasks.*", explained.notes), explained.notes
    assert echo._explained(ctx, "thread", time.time(), [clean]) == [clean]
    assert echo._explained(ctx, "iterative", time.time(), [lesson]) == [lesson]  # errors that are the lesson
