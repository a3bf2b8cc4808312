"""`socketlab bench --quick`: each echo model's QPS, p99 and a thousand connections, within a lesson's minutes.

It never builds an image: it uses the images that exist and names `make up`
when one is missing. When the lab is up (COMPOSE_PROJECT_NAME, ...) it
measures the lab's own echo services, starting the ones that are not running
(the two baselines are in the `bench` profile) for the run only; otherwise it
brings up a benchmark stack of its own from the existing images and removes
it afterwards. It prints how long it will take before it starts.
"""

from __future__ import annotations

import json
import math
import time

import docker
import docker.errors
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from socketlab_common.registry import ALL_NAMES, MODELS

from ..compose import run_compose
from ..errors import LabError, UsageError
from ..lab import Lab
from ..settings import LabSettings
from . import echo, stack
from .model import BenchContext, CaseResult
from .report import c10k_verdict, client_cpu, find, median, summary_rows
from .suites import CLIENT_BOUND, ECHO_SERVICES

OWN_STACK_START_S = 30.0
"""Starting a stack of echo services and waiting for their health checks (an estimate)."""
SERVICE_START_S = 10.0
"""Starting the few services the running lab lacks (an estimate)."""

THROUGHPUT, C10K = "throughput-1KiB", f"c10k-{echo.CLASS_PLAN['c10k'][0]}"


def service_images(settings: LabSettings) -> dict[str, str]:
    """Compose service -> image, every profile included (read from the compose file, nothing built)."""
    config = json.loads(run_compose(settings, "--profile", "*", "config", "--format", "json", capture=True).stdout)
    return {name: service["image"] for name, service in config["services"].items() if "image" in service}


def image_exists(client: docker.DockerClient, image: str) -> bool:
    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False


def chosen_models(targets: tuple[str, ...]) -> list[str]:
    unknown = sorted(set(targets) - set(ALL_NAMES))
    if unknown:
        raise UsageError(f"no echo model is named {', '.join(unknown)}; the models are: {', '.join(ALL_NAMES)}")
    return [name for name in ALL_NAMES if not targets or name in targets]


def estimate_seconds(models: list[str], start_s: float) -> float:
    """Start-up plus every case; a one-at-a-time model also waits out the connections it never serves."""
    one_at_a_time = sum(1 for m in MODELS if not m.concurrent and m.name in models)
    waits = one_at_a_time * 2 * float(echo.CLASS_PLAN["connect_timeout"])  # type: ignore[arg-type]
    return start_s + echo.estimate_seconds(len(models), light=True) + waits


def run_quick(targets: tuple[str, ...], console: Console) -> list[CaseResult]:
    models = chosen_models(targets)
    lab = Lab(LabSettings.from_env())
    client = lab.docker
    images = service_images(lab.settings)
    if not image_exists(client, lab.settings.client_image):
        raise LabError(f"image {lab.settings.client_image} is missing: run `make up` first "
                       "(`socketlab bench --quick` never builds images)")
    missing = [m for m in models if not image_exists(client, images[ECHO_SERVICES[m]])]
    if len(missing) == len(models):
        raise LabError(f"image {images[ECHO_SERVICES[models[0]]]} is missing: run `make up` first "
                       "(`socketlab bench --quick` never builds images)")
    models = [m for m in models if m not in missing]
    lab_is_up = any(lab.has_service(m.service) for m in MODELS)
    settings = lab.settings if lab_is_up else stack.bench_settings()
    runner = Lab(settings, client)
    to_start = [ECHO_SERVICES[m] for m in models if not runner.has_service(ECHO_SERVICES[m])]
    start_s = (OWN_STACK_START_S if not lab_is_up else SERVICE_START_S if to_start else 0.0)
    where = f"the running lab {settings.project!r}" if lab_is_up else f"a stack of its own ({settings.project!r})"
    console.print(f"[bold]socketlab bench --quick[/]: {len(models)} echo models × {THROUGHPUT} and {C10K}, "
                  f"against {where}; this takes about {estimate_seconds(models, start_s):.0f} s")
    if missing:
        console.print(f"skipped (image missing, `make up` builds it): {', '.join(missing)}")
    started = time.monotonic()
    if to_start:
        console.print(f"starting {', '.join(to_start)} (existing images, no build)")
        if lab_is_up:
            run_compose(settings, "--profile", "bench", "up", "-d", "--wait", "--no-build", *to_start, capture=True)
        else:
            stack.up(settings, to_start, quiet=True)
    ctx = BenchContext(settings, client, light=True, repetitions=1, targets=tuple(models))
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("echo", total=None)
            ctx.expect = lambda steps: progress.update(task, total=steps)
            ctx.progress = lambda message: (progress.update(task, description=message), progress.advance(task))
            results = echo.run(ctx)
    finally:
        ctx.stop_hosts()
        if not lab_is_up:
            stack.down(settings, quiet=True)
        elif to_start:
            run_compose(settings, "--profile", "bench", "rm", "-sf", *to_start, capture=True)
    console.print(quick_table(results))
    console.print(f"took {time.monotonic() - started:.0f} s. One repetition on a shared machine: read the ratios, "
                  "not the absolute figures; `socketlab bench echo` measures properly.")
    return results


def quick_table(results: list[CaseResult]) -> Table:
    """Per model: QPS and p99 at 1 KiB, server CPU per request against the C loop, and the C10K case.

    Nine narrow columns, headers on two lines and no vertical rules, so that it
    reads whole at 80 columns; what the columns mean is said under it.
    """
    rows = summary_rows(results)
    floor_row = find(rows, "echo", THROUGHPUT, "c-epoll")
    floor = median(floor_row, "server_cpu_us_per_request") if floor_row else math.nan
    table = Table(title=f"echo: {THROUGHPUT} at 10 connections, and {C10K}", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False,
                  caption="µs/req: the server's CPU time per request; × C: that against the C epoll loop; "
                          "client: the load generator's share of its core (* over "
                          f"{CLIENT_BOUND:g}: it, not the server, set the pace)",
                  caption_justify="left")
    for name in ("model", "req/s", "p99\nms", "µs/\nreq", "× C", "client", "C10K\nheld", "C10K\np99 ms",
                 "C10K"):
        table.add_column(name, justify="left" if name in ("model", "C10K") else "right", no_wrap=True)
    for model in ALL_NAMES:
        qps, c10k = find(rows, "echo", THROUGHPUT, model), find(rows, "echo", C10K, model)
        if qps is None and c10k is None:
            continue
        cost = median(qps, "server_cpu_us_per_request") if qps else math.nan
        times = cost / floor if floor and not math.isnan(floor) else math.nan
        table.add_row(model, _n(median(qps, "requests_per_s")) if qps else "-",
                      _n(median(qps, "p99_ms"), 2) if qps else "-", _n(cost, 1),
                      "-" if math.isnan(times) else f"{times:.1f}×",
                      client_cpu(qps, flag="*") if qps else "-",
                      _n(median(c10k, "connections")) if c10k else "-", _n(median(c10k, "p99_ms"), 1) if c10k else "-",
                      c10k_verdict(c10k) if c10k else "-")
    return table


def _n(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"
