"""Report formatting: summaries over repetitions, targets, verdicts, CSV/JSON, markdown, plots."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from socketlab.bench import markdown, report
from socketlab.bench.model import CaseResult
from socketlab.bench.plots import write_plots

RPS = {"fork": 950.0, "thread": 850.0, "select": 1000.0, "poll": 990.0, "epoll": 1050.0, "epoll-et": 1040.0,
       "asyncio": 1000.0, "uvloop": 1100.0, "c-epoll": 1200.0}
COST = {"fork": 12.0, "thread": 9.0, "select": 7.0, "poll": 7.5, "epoll": 6.0, "epoll-et": 6.0, "asyncio": 8.0,
        "uvloop": 4.0, "c-epoll": 2.0}
MODELS = tuple(RPS)


def result(case: str, target: str, rep: int, rps: float, **extra: float) -> CaseResult:
    metrics = {"requests_per_s": rps, "mib_per_s": rps / 1024, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0,
               "max_ms": 4.0, "errors": 0.0, "connections": 10.0, "concurrency": 10.0, **extra}
    return CaseResult("echo", case, target, rep, metrics)


def sample_results() -> list[CaseResult]:
    out = []
    for rep in (1, 2, 3):
        for model in MODELS:
            rps = RPS[model] + rep - 2
            out.append(result("throughput-1KiB", model, rep, rps, server_cpu_us_per_request=COST[model],
                              client_cpu_share=0.9 if model == "c-epoll" else 0.4))
            out.append(result("idle-0", model, rep, rps))
            out.append(result("idle-5000", model, rep, rps * (0.95 if model == "epoll" else 0.5),
                              concurrency=5010.0))
            held = 10000.0 if model in ("epoll", "thread", "asyncio") else 1020.0
            out.append(result("c10k-10000", model, rep, 3000.0, connections=held, concurrency=10000.0,
                              errors=0.0 if held == 10000 else 8980.0, p99_ms=5.0 if model != "thread" else 150.0))
    return out


def _warm_up_matplotlib() -> None:
    """matplotlib keeps its font files open once loaded (a cache, not a leak): load them before the fd guard."""
    with tempfile.TemporaryDirectory() as tmp:
        write_plots(report.summary_rows(sample_results()), Path(tmp))


_warm_up_matplotlib()


def test_summary_gives_median_min_max_over_repetitions() -> None:
    rows = report.summary_rows(sample_results())
    row = report.find(rows, "echo", "throughput-1KiB", "select")
    assert row["repetitions"] == 3
    assert row["metrics"]["requests_per_s"] == {"median": 1000.0, "min": 999.0, "max": 1001.0, "n": 3}


def test_every_echo_target_is_judged_from_the_same_run() -> None:
    targets = {t["target"]: t for t in report.all_targets(sample_results())}
    cost = targets["epoll: server CPU per request vs the C loop, 1 KiB"]
    assert (cost["measured"], cost["goal"], cost["met"]) == ("3.00×", "≤ 2.5×", "no")   # 6.0 / 2.0
    assert targets["epoll-et: server CPU per request vs the C loop, 1 KiB"]["met"] == "no"
    assert targets["epoll vs uvloop, requests/s, 1 KiB"]["measured"] == "0.95×"        # 1050 / 1100
    assert targets["epoll vs uvloop, requests/s, 1 KiB"]["met"] == "no"
    assert targets["epoll with 5000 idle connections vs none"]["measured"] == "95%"
    assert targets["epoll with 5000 idle connections vs none"]["met"] == "yes"
    assert targets["C10K: epoll holds 10,000"]["met"] == "yes"
    assert targets["C10K: thread has no errors (worst repetition)"]["met"] == "yes"
    assert targets["client CPU (share of its cores), every model, 10KiB"]["met"] == "n/a"  # not measured


def test_the_report_flags_a_client_bound_case() -> None:
    """The C loop's case used 0.9 of the load generator's core: the client, not the server, set its pace."""
    rows = report.summary_rows(sample_results())
    assert report.client_cpu(report.find(rows, "echo", "throughput-1KiB", "c-epoll")) == "0.90 client-bound"
    assert report.client_cpu(report.find(rows, "echo", "throughput-1KiB", "epoll")) == "0.40"
    flagged = {t["target"]: t for t in report.all_targets(sample_results())}[
        "client CPU (share of its cores), every model, 1KiB"]
    assert (flagged["measured"], flagged["met"]) == ("0.90 (c-epoll)", "no")
    console = Console(record=True, width=300)
    console.print(report.rich_table(rows))
    text = console.export_text()
    assert "0.90*" in text and "0.40*" not in text and "* over 0.7: client-bound" in text
    calm = [r for r in sample_results() if r.target != "c-epoll"]
    [ok] = [t for t in report.all_targets(calm) if t["target"].startswith("client CPU") and "1KiB" in t["target"]]
    assert ok["measured"].startswith("0.40 (") and ok["met"] == "yes"


def test_c10k_verdicts() -> None:
    rows = report.summary_rows(sample_results())
    assert report.c10k_verdict(report.find(rows, "echo", "c10k-10000", "epoll")) == "holds"
    assert report.c10k_verdict(report.find(rows, "echo", "c10k-10000", "thread")) == "degrades"  # p99 150 ms
    assert report.c10k_verdict(report.find(rows, "echo", "c10k-10000", "select")) == "fails"


def test_csv_and_json_files(tmp_path: Path) -> None:
    results = sample_results()
    document = report.results_document(results, {"cpu_model": "test"}, {"repetitions": 3})
    json_path, csv_path = report.write_results(tmp_path, document)
    again = json.loads(json_path.read_text())
    assert report.load_results(again) == results
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert len(rows) == len(results)
    assert rows[0]["suite"] == "echo" and float(rows[0]["requests_per_s"]) == results[0].metrics["requests_per_s"]


def test_rich_table_lists_every_row() -> None:
    rows = report.summary_rows(sample_results())
    console = Console(record=True, width=240)
    console.print(report.rich_table(rows))
    text = console.export_text()
    assert "throughput-1KiB" in text and "epoll-et" in text and "1,000 (999–1,001)" in text


def test_the_report_table_reads_whole_at_80_columns() -> None:
    long_note = "held 1 of 10000; 8974 connects refused/timed out; 1025 connected but never served"
    results = [replace(r, notes=long_note) if r.case == "throughput-1KiB" and r.target == "fork" else r
               for r in sample_results()]
    rows = report.summary_rows(results)
    console = Console(record=True, width=80, color_system=None, file=io.StringIO())
    console.print(report.rich_table(rows, width=80))
    text = console.export_text()
    assert "…" not in text and max(len(line.rstrip()) for line in text.splitlines()) <= 80, text
    heads = [line.strip() for line in text.splitlines() if line.startswith("echo · ")]
    assert heads == ["echo · throughput-1KiB", "echo · idle-5000", "echo · c10k-10000"], heads  # idle-0 repeats
    assert "fork [1]" in text and "[1] held 1 of 10000; 8974 connects" in text and "[2]" not in text, text
    assert "p50" not in text and "(999–1,001)" not in text   # the wide terminal's extras


def test_plots_are_pngs_with_the_cost_plot_first(tmp_path: Path) -> None:
    document = report.results_document(sample_results(), {"cpu_model": "test", "cores": 2}, {"repetitions": 3})
    plots = write_plots(document["summary"], tmp_path)
    assert [p.name for p in plots] == ["echo-server-cpu-per-request.png", "echo-requests-per-second.png",
                                       "echo-idle-connections.png", "echo-c10k-p99.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots)


def test_merging_runs_replaces_suites_and_keeps_their_origin() -> None:
    from socketlab.bench.cli import merge_documents

    base = report.results_document(sample_results(), {"cpu_model": "a"}, {"repetitions": 3})
    web_run = report.results_document([CaseResult("web", "static", "nginx", 1, {"requests_per_s": 5.0})],
                                      {"cpu_model": "b"}, {"repetitions": 1})
    echo_again = report.results_document([result("throughput-1KiB", "epoll", 1, 7.0)], {"cpu_model": "c"}, {})
    merged = merge_documents(base, [web_run, echo_again])
    suites = {r["suite"] for r in merged["results"]}
    assert suites == {"echo", "web"}
    assert len([r for r in merged["results"] if r["suite"] == "echo"]) == 1  # echo replaced by the later run
    assert [run["machine"]["cpu_model"] for run in merged["settings"]["merged_runs"]] == ["b", "c"]
    assert merged["machine"]["cpu_model"] == "a"


def test_a_run_of_chosen_cases_replaces_only_those_cases() -> None:
    """`bench echo --cases throughput-1KiB` re-measures one case; the rest of the suite stays."""
    from socketlab.bench.cli import merge_documents

    base = report.results_document(sample_results(), {"cpu_model": "a"}, {"repetitions": 3})
    again = report.results_document(
        [result("throughput-1KiB", model, 1, 7.0) for model in MODELS]
        + [result("idle-0", "epoll", 1, 7.0)],   # a derived row of that run: not a chosen case
        {"cpu_model": "c", "date": "later"}, {"repetitions": 5, "cases": ["throughput-1KiB"]})
    merged = merge_documents(base, [again])
    assert {(r["case"], r["target"]) for r in merged["results"]} == {(r["case"], r["target"]) for r in base["results"]}
    replaced = [r for r in merged["results"] if r["case"] == "throughput-1KiB"]
    assert [r["metrics"]["requests_per_s"] for r in replaced] == [7.0] * len(MODELS)
    kept = [r for r in merged["results"] if r["case"] == "idle-0"]
    assert kept == [r for r in base["results"] if r["case"] == "idle-0"]
    assert merged["settings"]["merged_runs"][0]["cases"] == ["throughput-1KiB"]
    text = markdown.machine_block({**merged, "summary": report.summary_rows(report.load_results(merged))})
    assert "merged in: throughput-1KiB" in text and "later" in text and "5 repetitions" in text


def test_a_run_of_chosen_targets_replaces_only_their_cases() -> None:
    """`bench echo --cases c10k-10000 --targets thread` re-measures one cell; every other model's stays."""
    from socketlab.bench.cli import merge_documents

    base = report.results_document(sample_results(), {"cpu_model": "a"}, {"repetitions": 3})
    again = report.results_document([result("throughput-1KiB", "epoll", 1, 7.0)], {"cpu_model": "c", "date": "later"},
                                    {"repetitions": 5, "cases": ["throughput-1KiB"], "targets": ["epoll"]})
    merged = merge_documents(base, [again])
    changed = [(r["case"], r["target"]) for r in merged["results"] if r not in base["results"]]
    assert changed == [("throughput-1KiB", "epoll")]
    assert len(merged["results"]) == len(base["results"]) - len(
        [r for r in base["results"] if (r["case"], r["target"]) == ("throughput-1KiB", "epoll")]) + 1
    text = markdown.machine_block({**merged, "summary": report.summary_rows(report.load_results(merged))})
    assert "merged in: throughput-1KiB (epoll)" in text


def test_a_knee_search_compares_the_best_rate_of_each_side() -> None:
    """The chat relay's target takes each server's best delivered rate over all offered rates."""
    def chat(case: str, target: str, rate: float, cpu: float) -> CaseResult:
        return CaseResult("chat", case, target, 1, {"requests_per_s": rate, "server_cpu_us_per_datagram": cpu})

    results = [chat("8-clients-4000-out-per-s", "chat", 4000, 30.0),
               chat("8-clients-4000-out-per-s", "echo-udp", 4000, 8.0),
               chat("8-clients-48000-out-per-s", "chat", 20000, 25.0),
               chat("8-clients-48000-out-per-s", "echo-udp", 40000, 10.0)]
    targets = {t["target"]: t for t in report.all_targets(results)}
    rate = targets["relay rate vs raw UDP echo (best delivered rate of each)"]
    assert (rate["measured"], rate["met"]) == ("50%", "yes")                  # 20000 / 40000
    cpu = targets["relay CPU per datagram delivered vs raw UDP echo"]
    assert (cpu["measured"], cpu["goal"], cpu["met"]) == ("3.12×", "≤ 3×", "no")  # 25 / 8: the lowest of each


def test_the_quick_table_reads_whole_at_80_columns() -> None:
    from socketlab.bench.quick import C10K, THROUGHPUT, quick_table

    quick = [replace(r, case=C10K) if r.case == "c10k-10000" else r for r in sample_results()
             if r.case in (THROUGHPUT, "c10k-10000")]
    console = Console(record=True, width=80, color_system=None, file=io.StringIO())
    console.print(quick_table(quick))
    text = console.export_text()
    assert "…" not in text and max(len(line.rstrip()) for line in text.splitlines()) <= 80, text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.split() and line.split()[0] in RPS}
    assert set(rows) == set(MODELS), text
    assert rows["epoll"][4] == "3.0×" and rows["c-epoll"][5] == "0.90*" and rows["epoll"][5] == "0.40", text
    assert rows["epoll"][-1] == "holds" and rows["select"][-1] == "fails", text
