"""`socketlab bench` and `socketlab bench-report`: run the suites, show and keep the results.

    socketlab bench --quick                      # a class: QPS, p99, C10K per echo model, under 2 minutes
    socketlab bench [echo|web|ftp|chat|all] [--repetitions N] [--no-pin] [--out DIR] [--docs]
    socketlab bench-report [--results docs/bench/results.json]   # plots + BENCHMARKS.md tables again

--quick builds nothing and uses the running lab (or a stack of its own from the
existing images). A full run builds the images, brings up its own stack,
pins the servers and the load to different cores unless --no-pin, runs each
suite, prints a table, and writes results.json, results.csv and PNG plots
into --out; --docs also copies them to docs/bench/ and fills the tables of
BENCHMARKS.md (only between its marked lines).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import docker
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from socketlab_common.registry import ALL_NAMES

from ..errors import UsageError
from ..images import EVERY_PROFILE, build_images
from ..settings import REPO_ROOT, LabSettings
from . import SUITES, stack
from .machine import describe
from .markdown import write_benchmarks_md
from .model import BenchContext, CaseResult
from .plots import write_plots
from .report import all_targets, load_results, results_document, rich_table, summary_rows, write_results
from .suites import SUITES as REGISTRY

console = Console()
DOCS_DIR = REPO_ROOT / "docs" / "bench"
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
KNOWN_SUITES = ("echo", "web", "ftp", "chat")


def _names(text: str) -> tuple[str, ...]:
    """`a,b,,c` -> ("a", "b", "c"): the comma lists of --cases and --targets."""
    return tuple(name for name in text.split(",") if name)


def suites_help() -> str:
    """Every suite and its cases, for `socketlab bench --help` (from the registry)."""
    from . import quick

    lines = ["suites and their cases:"]
    for suite in REGISTRY.values():
        lines.append(f"  {suite.name:6} {suite.summary}")
        lines += [f"           {case.name:22} {case.what}" for case in suite.cases]
    lines += ["", f"--quick runs the echo suite's {quick.THROUGHPUT} and {quick.C10K} for every model, once,",
              f"in about {quick.estimate_seconds(list(ALL_NAMES), 0):.0f} s of "
              "measuring (plus start-up); --targets picks models."]
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmark the models side by side (QPS, latency, C10K)",
                           description=__doc__, epilog=suites_help(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("suite", nargs="?", default="all", choices=[*KNOWN_SUITES, "all"])
    bench.add_argument("--quick", action="store_true",
                       help="for a class: echo QPS, p99 and C10K per model in under 2 minutes; builds nothing, "
                            "uses the running lab (or its own stack from existing images)")
    bench.add_argument("--repetitions", type=int, default=3, help="runs per case (median, min, max)")
    bench.add_argument("--no-pin", action="store_true", help="do not pin servers and load to separate cores")
    bench.add_argument("--no-priority", action="store_true",
                       help=f"keep Docker's default CPU weight (else {stack.BENCH_CPU_SHARES} for bench containers)")
    bench.add_argument("--out", type=Path, help="output directory (default bench-results/<UTC time>)")
    bench.add_argument("--docs", action="store_true", help="also update docs/bench/ and BENCHMARKS.md")
    bench.add_argument("--keep-up", action="store_true", help="leave the benchmark stack running afterwards")
    bench.add_argument("--cases", default=(), metavar="NAME[,NAME]",
                       type=_names,
                       help="echo suite only: run just these cases (e.g. throughput-1KiB), for more repetitions "
                            "of the cases that carry a target; `bench-report --add` merges them case by case")
    bench.add_argument("--targets", default=(), metavar="NAME[,NAME]",
                       type=_names,
                       help="echo suite (and --quick) only: run just these models (e.g. thread,epoll); "
                            "merged like --cases")
    bench.set_defaults(func=cmd_bench)
    report = sub.add_parser("bench-report", help="regenerate the plots and BENCHMARKS.md from a results file")
    report.add_argument("--results", type=Path, default=DOCS_DIR / "results.json")
    report.add_argument("--markdown", type=Path, default=BENCHMARKS_MD)
    report.add_argument("--add", type=Path, action="append", default=[], metavar="RESULTS_JSON",
                        help="merge another run's results in (its suites replace the same suites, or its cases "
                             "the same cases for a run made with --cases); repeatable")
    report.set_defaults(func=cmd_report)


def selected_suites(name: str) -> list[str]:
    if name == "all":
        return list(SUITES)
    if name not in SUITES:
        raise SystemExit(f"suite {name!r} is not available yet (registered: {', '.join(SUITES) or 'none'})")
    return [name]


def cmd_bench(_settings: LabSettings, args: argparse.Namespace) -> int:
    if args.quick:
        if args.suite not in ("all", "echo") or args.cases or args.docs:
            raise UsageError("--quick runs the echo models only, without --cases or --docs: socketlab bench --quick")
        from .quick import run_quick

        run_quick(args.targets, console)
        return 0
    settings = stack.bench_settings()
    suites = selected_suites(args.suite)
    if (args.cases or args.targets) and suites != ["echo"]:
        raise SystemExit("--cases and --targets apply to the echo suite only: socketlab bench echo --cases ...")
    modules = {name: importlib.import_module(f"socketlab.bench.{SUITES[name]}") for name in suites}
    services = list(dict.fromkeys(service for name in suites for service in REGISTRY[name].services))
    client = docker.from_env()
    build_images(settings, console, profiles=EVERY_PROFILE)
    stack.remove_load_hosts(client, settings)
    console.print(f"[bold]starting the benchmark stack {settings.project} ({settings.net_prefix}.x)")
    stack.up(settings, services or None)
    server_cpus, load_cpus = stack.cpu_split(not args.no_pin)
    shares = None if args.no_priority else stack.BENCH_CPU_SHARES
    pinned = stack.pin_servers(client, settings, server_cpus, shares)
    console.print(f"pinning: servers -> cpus {server_cpus or 'all'} ({len(pinned)} containers), "
                  f"load hosts -> cpus {load_cpus or 'all'}; cpu weight {shares or 'default'}")
    machine = describe(client)
    run_settings = {"project": settings.project, "repetitions": args.repetitions,
                    "server_cpuset": server_cpus, "load_cpuset": load_cpus, "cpu_shares": shares, "suites": suites,
                    "cases": list(args.cases), "targets": list(args.targets)}
    results: list[CaseResult] = []
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            for name, module in modules.items():
                results += _run_suite(name, module, progress, settings, client, args, server_cpus, load_cpus, shares)
    finally:
        stack.remove_load_hosts(client, settings)
        if not args.keep_up:
            stack.down(settings)
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    document = results_document(results, machine, run_settings)
    out = args.out or REPO_ROOT / "bench-results" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    publish(document, out, console)
    if args.docs:
        publish(document, DOCS_DIR, console)
        _fill_markdown(document, BENCHMARKS_MD)
    return 0


def _fill_markdown(document: dict, markdown: Path) -> None:
    unplaced = write_benchmarks_md(document, markdown, DOCS_DIR)
    console.print(f"filled the marked tables of {markdown}")
    if unplaced:
        console.print(f"no <!-- bench:NAME --> lines for: {', '.join(unplaced)} (add them where the tables belong)")


def _run_suite(name, module, progress: Progress, settings, client, args, server_cpus, load_cpus, shares) -> list:
    task = progress.add_task(name, total=None)
    state = {"started": False}

    def on_progress(message: str) -> None:
        if state["started"]:
            progress.advance(task)
        state["started"] = True
        progress.update(task, description=message)

    ctx = BenchContext(settings, client, repetitions=args.repetitions, load_cpuset=load_cpus,
                       progress=on_progress, server_cpuset=server_cpus, cpu_shares=shares,
                       expect=lambda steps: progress.update(task, total=steps), cases=args.cases,
                       targets=args.targets)
    try:
        results = module.run(ctx)
    finally:
        ctx.stop_hosts()
    total = progress.tasks[task].total
    progress.update(task, description=f"{name}: {len(results)} results", completed=total or 1, total=total or 1)
    return results


def publish(document: dict, out: Path, out_console: Console) -> None:
    """Results files, plots and the table for one document."""
    json_path, csv_path = write_results(out, document)
    plots = write_plots(document["summary"], out)
    out_console.print(rich_table(document["summary"], width=out_console.width))
    for target in document.get("targets", []):
        out_console.print(f"{target.get('suite', 'echo')} target {target['target']}: {target['measured']} "
                          f"(goal {target['goal']}) met: {target['met']}")
    out_console.print(f"wrote {json_path}, {csv_path}" + "".join(f", {p.name}" for p in plots))


def merge_documents(base: dict, others: list[dict]) -> dict:
    """One document from several runs: each added run's suites replace those suites in `base`.

    A run made with `--cases` (or `--targets`) replaces only those cases (of those targets) in its
    suites: the rest stays the base run's, and `merged_runs` says which figures came from where.

    The machine description stays the base run's; each added run's machine and settings are kept
    under `settings["merged_runs"]` so nothing about where a figure came from is lost.
    """
    merged = dict(base)
    results = list(base["results"])
    runs = list(base["settings"].get("merged_runs", []))
    for other in others:
        suites = {r["suite"] for r in other["results"]}
        cases = set(other["settings"].get("cases") or ())
        targets = set(other["settings"].get("targets") or ())

        def chosen(r: dict, cases=cases, targets=targets) -> bool:
            return (not cases or r["case"] in cases) and (not targets or r["target"] in targets)

        results = [r for r in results if r["suite"] not in suites or not chosen(r)]
        results += [r for r in other["results"] if chosen(r)]
        runs.append({"suites": sorted(suites), "cases": sorted(cases), "targets": sorted(targets),
                     "machine": other["machine"], "settings": other["settings"]})
    merged["results"] = results
    merged["settings"] = {**base["settings"], "merged_runs": runs}
    return merged


def cmd_report(_settings: LabSettings, args: argparse.Namespace) -> int:
    document = json.loads(args.results.read_text())  # the summary is recomputed: the code may be newer
    results_dir = args.results.parent
    if args.add:
        document = merge_documents(document, [json.loads(path.read_text()) for path in args.add])
    results = load_results(document)
    rows = summary_rows(results)
    document["summary"], document["targets"] = rows, all_targets(results)
    if args.add:
        write_results(results_dir, document)
    write_plots(rows, results_dir)
    if results_dir.resolve() != DOCS_DIR.resolve():
        DOCS_DIR.mkdir(parents=True, exist_ok=True)
        for png in results_dir.glob("*.png"):
            shutil.copy(png, DOCS_DIR / png.name)
    console.print(rich_table(rows, width=console.width))
    _fill_markdown(document, args.markdown)
    return 0
