"""A smoke run of every benchmark case, tiny sizes, against the real containers.

Every suite registered in `socketlab.bench.SUITES` runs here with
`quick=True` and one repetition; the test checks that each result is well
formed and that errors are zero wherever zero is the expected outcome (the
registry's `errors_expected`, e.g. the iterative echo server leaves all but
one client waiting, by design). Then the two load generators are checked
against each other and against a server that corrupts its echoes, and
`socketlab bench --quick` runs without building anything. No test here
asserts a speed.
"""

from __future__ import annotations

import importlib
import json
import math
import re
import time
from collections.abc import Iterator

import pytest

from socketlab import cli
from socketlab.bench import SUITES, BenchContext, CaseResult
from socketlab.bench.quick import C10K, THROUGHPUT, run_quick
from socketlab.bench.suites import SUITES as REGISTRY
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

SMOKE_ECHO_TARGETS = ("iterative", "fork", "thread", "select", "epoll-et", "uvloop", "c-epoll")
"""Every case of the echo suite runs on one model of each kind (one at a time, a process, a thread, a
readiness loop, the two peers); `--quick` below runs the others, and the unit tests every driver."""

QUICK_TARGETS = ("epoll", "c-epoll", "poll", "asyncio")


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
    ctx = BenchContext(bench_lab.settings, bench_lab.docker, quick=True, repetitions=1,
                       targets=SMOKE_ECHO_TARGETS if suite == "echo" else ())
    try:
        results = module.run(ctx)
    finally:
        ctx.stop_hosts()
    assert results, f"suite {suite} produced no results"
    expected_errors = REGISTRY[suite].errors_expected
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


CORRUPTING_ECHO = """
import socket, threading
server = socket.create_server(("127.0.0.1", 7007))
print("ready", flush=True)
def serve(conn):
    with conn:
        while data := conn.recv(65536):  # the warm-up byte comes back intact, every echo with one bit flipped
            conn.sendall(data if data == b"?" else data[:-1] + bytes([data[-1] ^ 1]))
while True:
    threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()
"""

GENERATORS = ("loadgen", "loadgen-c")
"""The readable Python generator and the compiled one the benchmark uses."""


def test_both_load_generators_count_the_same_echoes_and_catch_a_wrong_byte(bench_lab: ComposeLab) -> None:
    host = bench_lab.client_host()
    try:
        ip = bench_lab.service_ip("echo-epoll")
        for generator in GENERATORS:
            result = host.run(generator, "echo", ip, "--connections", "10", "--size", "3000", "--requests", "1000",
                              "--duration", "60", timeout=90)
            report = json.loads(result.stdout)
            counted = {k: report[k] for k in ("requests", "bytes_verified", "mismatches", "errors", "connections")}
            assert counted == {"requests": 1000, "bytes_verified": 3_000_000, "mismatches": 0, "errors": 0,
                               "connections": 10}, (generator, result.stderr)
        server = host.popen("python3", "-c", CORRUPTING_ECHO)
        assert server.stdout is not None and server.stdout.readline() == b"ready\n"
        for generator in GENERATORS:
            result = host.run(generator, "echo", "127.0.0.1", "7007", "--connections", "4", "--size", "1000",
                              "--requests", "100", "--duration", "20", "--grace", "1", timeout=60)
            report = json.loads(result.stdout)
            assert report["mismatches"] > 0 and report["errors"] > 0, (generator, report)
            assert report["requests"] < 100 and report["bytes_verified"] < 100 * 1000, (generator, report)
    finally:
        host.stop()


def lab_images(lab: ComposeLab) -> dict[str, str]:
    """Tag -> image ID of every image of this lab's tag."""
    suffix = f":{lab.settings.image_tag}"
    return {tag: image.id for image in lab.docker.images.list() for tag in image.tags
            if tag.startswith("socketlab/") and tag.endswith(suffix)}


def test_quick_mode_builds_nothing_and_shows_each_model(bench_lab: ComposeLab,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`socketlab bench --quick` on the running lab: estimate first, one row per model, no image touched."""
    from rich.console import Console

    monkeypatch.setenv("SOCKETLAB_BENCH_QUICK_SECONDS", "0.5")
    before = lab_images(bench_lab)
    console = Console(record=True, width=200)
    results = run_quick(QUICK_TARGETS, console)
    text = console.export_text()
    assert lab_images(bench_lab) == before
    assert re.search(r"this takes about \d+ s", text) and text.index("takes about") < text.index("req/s")
    by_key = {(r.case, r.target): r.metrics for r in results}
    assert set(by_key) >= {(case, model) for case in (THROUGHPUT, C10K) for model in QUICK_TARGETS}
    for model in QUICK_TARGETS:
        throughput = by_key[(THROUGHPUT, model)]
        assert throughput["errors"] == 0 and throughput["requests_per_s"] > 0, throughput
        assert throughput["server_cpu_us_per_request"] > 0 and 0 <= throughput["client_cpu_share"] <= 1.5
        assert by_key[(C10K, model)]["connections"] == 1000, by_key[(C10K, model)]
        assert re.search(rf"^\s*{re.escape(model)}\s+[\d,]+\s", text, re.MULTILINE), text


def test_quick_mode_without_images_says_make_up(bench_lab: ComposeLab, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("SOCKETLAB_IMAGE_TAG", "no-such-tag")
    assert cli.main(["bench", "--quick"]) == 1
    out = capsys.readouterr().out
    assert "socketlab/client:no-such-tag is missing: run `make up`" in out and "Traceback" not in out
