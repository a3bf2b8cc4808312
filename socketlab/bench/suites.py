"""The benchmark suites as data: what each measures, its cases, its targets, the errors that are its lesson.

One registry for the CLI (`--help` lists it), the runner (which services to
start), the smoke test (which errors are expected) and the report (one
function, `evaluate`, judges every target of every suite). A target is
(case, ours, peer, goal): "in `case`, `ours` divided by `peer` is at least
(or at most) `goal`", or with no peer an absolute goal on `ours` alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from socketlab_common.registry import BASELINES, MODELS

from . import chat, ftp, web
from .model import CaseResult

EVERY = "*"
"""As `ours`: every target that ran the case, judged on the worst of them."""


@dataclass(frozen=True)
class Target:
    case: str | None          # None: the best value of each side over all cases (a knee search)
    ours: str                 # a target name, or EVERY
    peer: str | None          # compare with this target; None: an absolute goal (or `peer_case`)
    goal: float
    metric: str = "requests_per_s"
    at_most: bool = False     # the goal is a ceiling (CPU, latency) instead of a floor
    peer_case: str | None = None  # compare `ours` with itself in another case (idle-5000 vs idle-0)
    worst: bool = False       # judge the worst repetition (errors), not the median
    unit: str = "x"           # "x" or "%" for ratios; for absolute goals the metric's unit ("ms", "s", "")
    label: str = ""

    @property
    def is_ratio(self) -> bool:
        return self.peer is not None or self.peer_case is not None


@dataclass(frozen=True)
class Case:
    name: str
    what: str


@dataclass(frozen=True)
class Suite:
    name: str
    summary: str
    services: tuple[str, ...]
    cases: tuple[Case, ...]
    targets: tuple[Target, ...]
    errors_expected: Callable[[CaseResult], bool] = field(default=lambda _result: False)


# ---------------------------------------------------------------- echo

ECHO_SERVICES: dict[str, str] = {m.name: m.service for m in MODELS + BASELINES}
"""Model (as reported) -> compose service. uvloop and c-epoll are peer baselines (profile bench)."""

ONE_AT_A_TIME = tuple(m.name for m in MODELS if not m.concurrent)
KIB = 1024
THROUGHPUT_BYTES = (KIB, 10 * KIB, 100 * KIB)


def size_label(size: int) -> str:
    return f"{size // KIB}KiB" if size % KIB == 0 else f"{size}B"


THROUGHPUT_SIZES = tuple(size_label(size) for size in THROUGHPUT_BYTES)
IDLE_LEVELS = (900, 5000)
C10K_LEVELS = (100, 1000, 10000)
CLIENT_BOUND = 0.7
"""A throughput case whose load generator used more than this share of its cores measured the client."""


def echo_errors_expected(result: CaseResult) -> bool:
    """Errors that are the lesson, not a fault: one-at-a-time serving, and the limits of select and fork."""
    if result.target in ONE_AT_A_TIME:
        return True
    concurrency = result.metrics.get("concurrency", 0)
    if result.target == "select" and concurrency >= 1000:
        return result.case.startswith("c10k")  # FD_SETSIZE: past ~1020 connections select refuses
    if result.target == "fork" and concurrency >= 2000:
        return result.case.startswith("c10k")  # pids_limit 2048
    return False


def _echo_targets() -> tuple[Target, ...]:
    out = [Target(f"throughput-{size}", EVERY, None, CLIENT_BOUND, metric="client_cpu_share", at_most=True,
                  unit="", label=f"client CPU (share of its cores), every model, {size}")
           for size in THROUGHPUT_SIZES]
    out += [Target("throughput-1KiB", model, "c-epoll", 2.5, metric="server_cpu_us_per_request", at_most=True,
                   label=f"{model}: server CPU per request vs the C loop, 1 KiB")
            for model in ("epoll", "epoll-et", "poll", "select")]
    out += [Target("throughput-1KiB", "epoll", "uvloop", 1.0, label="epoll vs uvloop, requests/s, 1 KiB"),
            Target(f"idle-{IDLE_LEVELS[-1]}", "epoll", None, 0.9, peer_case="idle-0", unit="%",
                   label=f"epoll with {IDLE_LEVELS[-1]} idle connections vs none")]
    top = f"c10k-{C10K_LEVELS[-1]}"
    for model in ("epoll", "thread"):
        out += [Target(top, model, None, C10K_LEVELS[-1], metric="connections", unit="held",
                       label=f"C10K: {model} holds {C10K_LEVELS[-1]:,}"),
                Target(top, model, None, 0, metric="errors", at_most=True, worst=True, unit="errors",
                       label=f"C10K: {model} has no errors (worst repetition)")]
    return tuple(out)


ECHO = Suite(
    "echo", "every echo model and the two baselines under the same load: QPS, latency, idle connections, C10K",
    tuple(ECHO_SERVICES.values()),
    (*(Case(f"throughput-{s}", f"10 connections, closed loop, {s} messages") for s in THROUGHPUT_SIZES),
     *(Case(f"idle-{n}", f"the 1 KiB load while {n} more connections sit idle") for n in IDLE_LEVELS),
     *(Case(f"c10k-{n}", f"{n} connections, each sending 64 bytes every 3 s") for n in C10K_LEVELS)),
    _echo_targets(), echo_errors_expected)

# ---------------------------------------------------------------- web

WEB = Suite(
    "web", "the notes' WebServer (select) against nginx and python -m http.server, with wrk",
    tuple(web.TARGETS.values()),
    (Case("keepalive-1KiB", "50 persistent connections, 1 KiB file"),
     Case("close-1KiB", "the same with Connection: close (a TCP connection per request)"),
     Case("keepalive-100KiB", "50 persistent connections, 100 KiB file"),
     Case("latency-1KiB", "one connection, one request at a time")),
    (Target("keepalive-1KiB", "select", "nginx", 0.6, unit="%", label="keep-alive 1 KiB vs nginx"),
     Target("close-1KiB", "select", "nginx", 0.9, unit="%", label="Connection: close vs nginx"),
     Target("keepalive-100KiB", "select", "nginx", 0.6, unit="%", label="100 KiB file vs nginx"),
     Target("keepalive-1KiB", "select", "http.server", 30.0, label="keep-alive 1 KiB vs python -m http.server"),
     Target("latency-1KiB", "select", None, 5.0, metric="p50_ms", at_most=True, unit="ms",
            label="keep-alive latency, median, one connection")))

# ---------------------------------------------------------------- ftp

FTP = Suite(
    "ftp", "the thread-per-connection FTP server against vsftpd and pyftpdlib, with curl",
    tuple(ftp.SERVICES),
    (Case("stor", "upload of a new 256 MiB file"),
     Case("stor-replace", "the same upload over the existing file"),
     Case("retr", "download of a 256 MiB file from the page cache"),
     Case("logins", "300 clients from 3 hosts connect and log in at once")),
    (Target("retr", "socketlab", "vsftpd", 0.9, metric="mib_per_s", unit="%", label="RETR 256 MiB vs vsftpd"),
     Target("stor", "socketlab", "vsftpd", 0.8, metric="mib_per_s", unit="%", label="STOR 256 MiB vs vsftpd"),
     Target("retr", "socketlab", "vsftpd", 1.2, metric="server_cpu_ms_per_mib", at_most=True,
            label="RETR: server CPU per MiB vs vsftpd"),
     Target("logins", "socketlab", None, 1.0, metric="seconds", at_most=True, unit="s",
            label="300 logins at once")))

# ---------------------------------------------------------------- chat

CHAT = Suite(
    "chat", "the chat room's UDP relay against a raw recvfrom/sendto echo, open loop",
    tuple(chat.SERVICES),
    (Case("8-clients-N-out-per-s", "8 clients; the server sends N datagrams/s (4,000 to 48,000)"),),
    (Target(None, "chat", "echo-udp", 0.5, unit="%", label="relay rate vs raw UDP echo (best delivered rate of each)"),
     Target(None, "chat", "echo-udp", 3.0, metric="server_cpu_us_per_datagram", at_most=True,
            label="relay CPU per datagram delivered vs raw UDP echo")))

SUITES: dict[str, Suite] = {s.name: s for s in (ECHO, WEB, FTP, CHAT)}


# ---------------------------------------------------------------- evaluation

def _value(rows: list[dict], suite: str, case: str | None, target: str, metric: str, worst: bool,
           best_high: bool = True) -> float:
    """One side of a target: a row's median (or worst repetition); over all cases, the best median."""
    def of(row: dict) -> float:
        m = row["metrics"].get(metric)
        return math.nan if not m else (m["max"] if worst else m["median"])

    found = [of(r) for r in rows if r["suite"] == suite and r["target"] == target
             and (case is None or r["case"] == case)]
    found = [v for v in found if not math.isnan(v)]
    if not found:
        return math.nan
    return (max(found) if best_high else min(found)) if case is None else found[0]


def _show(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "%":
        return f"{value:.0%}"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:,.2f} {unit}".rstrip() if value % 1 else f"{value:,.0f} {unit}".rstrip()


def evaluate(suite: str, target: Target, rows: list[dict]) -> dict:
    """The target measured on summary rows: {suite, target, goal, measured, met} (met: yes, no or n/a)."""
    ours_names = [target.ours] if target.ours != EVERY else list(dict.fromkeys(
        r["target"] for r in rows if r["suite"] == suite and r["case"] == target.case))
    values: list[tuple[float, str]] = []
    for name in ours_names:
        ours = _value(rows, suite, target.case, name, target.metric, target.worst, not target.at_most)
        if target.peer is not None:
            ours /= _value(rows, suite, target.case, target.peer, target.metric, target.worst,
                           not target.at_most) or math.nan
        elif target.peer_case is not None:
            ours /= _value(rows, suite, target.peer_case, name, target.metric, target.worst) or math.nan
        if not math.isnan(ours):
            values.append((ours, name))
    comparison = "≤" if target.at_most else "≥"
    result = {"suite": suite, "target": target.label or f"{target.ours} {target.case}",
              "goal": f"{comparison} {target.goal:g}×" if target.unit == "x" else
              f"{comparison} {_show(target.goal, target.unit)}"}
    if not values:
        return {**result, "measured": "n/a", "met": "n/a"}
    value, who = max(values) if target.at_most else min(values)
    measured = _show(value, target.unit) + (f" ({who})" if target.ours == EVERY else "")
    met = value <= target.goal if target.at_most else value >= target.goal
    return {**result, "measured": measured, "met": "yes" if met else "no", "value": value}


def evaluate_all(rows: list[dict]) -> list[dict]:
    """Every target of every suite that has rows."""
    present = {r["suite"] for r in rows}
    return [evaluate(suite.name, target, rows) for suite in SUITES.values() if suite.name in present
            for target in suite.targets]

