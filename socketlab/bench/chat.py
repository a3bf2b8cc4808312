"""`socketlab bench chat`: the chat room's relay against a raw UDP echo, in the same run.

N clients (one UDP socket each, on one load host) send at a fixed aggregate
rate, open loop. The room relays each message to the N-1 others; the
baseline is the `echo-udp` service, a bare recvfrom/sendto loop, offered the
same number of datagrams *out of the server* per second (N-1 times the chat
rate), so both servers do the same count of sendto calls and the ratio
compares what each costs per datagram: parsing, identity and fan-out for the
room, nothing for the echo.

Reported per case and target: delivered datagrams/s (`requests_per_s`), the
fraction delivered (UDP loses datagrams when a receive buffer overflows: the
room does not retransmit), latency percentiles, out-of-order arrivals. The
target is relay >= 50% of the baseline; it is measured, never asserted.

Run with ``socketlab bench chat`` (its own stack, servers and load pinned to
separate cores), or standalone against a running lab:
``python -m socketlab.bench.chat [--quick]`` (COMPOSE_PROJECT_NAME, SOCKETLAB_NET_PREFIX, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from dataclasses import dataclass

import docker

from ..settings import LabSettings
from .model import BenchContext, CaseResult

SUITE = "chat"
CHAT_SERVICE = "chat"
ECHO_SERVICE = "echo-udp"
SERVICES = [CHAT_SERVICE, ECHO_SERVICE]
"""What the bench stack must bring up for this suite."""
LOAD_HOST_NUMBER = 90


@dataclass(frozen=True)
class Plan:
    clients: int
    out_rates: tuple[int, ...]  # datagrams per second out of the server
    duration: float
    size: int = 100


def plan(quick: bool) -> Plan:
    """The cases; SOCKETLAB_BENCH_CHAT_RATES=4000,64000 overrides the output rates (finding the knee)."""
    if quick:
        return Plan(clients=4, out_rates=(3000,), duration=1.0)
    rates = os.environ.get("SOCKETLAB_BENCH_CHAT_RATES")
    out_rates = tuple(int(r) for r in rates.split(",")) if rates else (4000, 8000, 16000, 32000, 48000)
    return Plan(clients=8, out_rates=out_rates, duration=3.0)


def case_name(p: Plan, out_rate: int) -> str:
    return f"{p.clients}-clients-{out_rate}-out-per-s"


def run(ctx: BenchContext) -> list[CaseResult]:
    p = plan(ctx.quick)
    repetitions = 1 if ctx.quick else max(1, ctx.repetitions)
    getattr(ctx, "expect", lambda _steps: None)(repetitions * len(p.out_rates) * 2)  # newer BenchContext
    targets = {CHAT_SERVICE: ctx.service_ip(CHAT_SERVICE), ECHO_SERVICE: ctx.service_ip(ECHO_SERVICE)}
    host = ctx.client_host("public", LOAD_HOST_NUMBER)
    results: list[CaseResult] = []
    for repetition in range(repetitions):
        for out_rate in p.out_rates:
            # Interleaved, so a machine that slows down during the run slows both alike.
            for target, ip in targets.items():
                mode = "chat" if target == CHAT_SERVICE else "echo"
                rate = out_rate / (p.clients - 1) if mode == "chat" else out_rate
                ctx.progress(f"chat: {target} {case_name(p, out_rate)} (repetition {repetition + 1})")
                argv = ["chat-load", mode, ip, "--clients", str(p.clients), "--rate", f"{rate:g}",
                        "--duration", f"{p.duration:g}", "--size", str(p.size)]
                result = host.run(*argv, timeout=120)
                if result.exit_code != 0:
                    raise RuntimeError(f"chat-load failed ({result.exit_code}): {result.output[-2000:]}")
                report = json.loads(result.stdout)
                results.append(CaseResult(
                    suite=SUITE, case=case_name(p, out_rate), target=target, repetition=repetition + 1,
                    metrics={
                        "requests_per_s": report["delivered_per_s"],
                        "offered_per_s": report["offered_out_per_s"],
                        "delivered_fraction": report["delivered_fraction"],
                        "p50_ms": report["p50_ms"], "p90_ms": report["p90_ms"], "p99_ms": report["p99_ms"],
                        "max_ms": report["max_ms"], "errors": report["send_errors"],
                        "out_of_order": report["out_of_order"], "connections": report["clients"],
                        "host_load_average": os.getloadavg()[0],
                    },
                    notes="relay to N-1 members" if mode == "chat" else "raw recvfrom/sendto baseline",
                ))
    return results


def ratios(results: list[CaseResult]) -> list[dict[str, float | str]]:
    """Per case: median delivered rate of relay and baseline, their ratio, and each one's delivered fraction."""
    rows = []
    for case in dict.fromkeys(r.case for r in results):
        def med(target: str, key: str, case: str = case) -> float:
            values = [r.metrics[key] for r in results if r.case == case and r.target == target]
            return statistics.median(values) if values else 0.0
        relay, echo = med(CHAT_SERVICE, "requests_per_s"), med(ECHO_SERVICE, "requests_per_s")
        rows.append({"case": case, "offered_per_s": med(CHAT_SERVICE, "offered_per_s"),
                     "relay_per_s": relay, "echo_per_s": echo, "ratio": relay / echo if echo else 0.0,
                     "relay_delivered": med(CHAT_SERVICE, "delivered_fraction"),
                     "echo_delivered": med(ECHO_SERVICE, "delivered_fraction"),
                     "relay_p99_ms": med(CHAT_SERVICE, "p99_ms"), "echo_p99_ms": med(ECHO_SERVICE, "p99_ms")})
    return rows


def chat_targets(results: list[CaseResult]) -> list[dict]:
    """Issue 5's target: the relay's best delivered rate against the raw UDP echo's, same run."""
    rows = ratios([r for r in results if r.suite == SUITE])
    best_relay = max((row["relay_per_s"] for row in rows), default=0.0)
    best_echo = max((row["echo_per_s"] for row in rows), default=0.0)
    if not best_echo:
        return []
    value = best_relay / best_echo
    return [{"target": "relay rate vs raw UDP echo (best delivered rate of each)", "goal": ">= 50%",
             "measured": f"{value:.0%} ({best_relay:,.0f} vs {best_echo:,.0f} datagrams/s out)",
             "met": "yes" if value >= 0.5 else "no"}]


def summary(results: list[CaseResult]) -> str:
    lines = ["| case | offered out/s | relay out/s | echo out/s | relay/echo | relay delivered | echo delivered "
             "| relay p99 ms | echo p99 ms |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = ratios(results)
    for row in rows:
        lines.append(f"| {row['case']} | {row['offered_per_s']:.0f} | {row['relay_per_s']:.0f} | "
                     f"{row['echo_per_s']:.0f} | {row['ratio']:.0%} | {row['relay_delivered']:.1%} | "
                     f"{row['echo_delivered']:.1%} | {row['relay_p99_ms']:.1f} | {row['echo_p99_ms']:.1f} |")
    best_relay = max((row["relay_per_s"] for row in rows), default=0.0)
    best_echo = max((row["echo_per_s"] for row in rows), default=0.0)
    if best_echo:
        lines.append(f"\nbest delivered rate: relay {best_relay:.0f}/s, echo {best_echo:.0f}/s, "
                     f"ratio {best_relay / best_echo:.0%} (target >= 50%)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m socketlab.bench.chat", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--json", help="also write every CaseResult to this file")
    args = parser.parse_args(argv)
    ctx = BenchContext(LabSettings.from_env(), docker.from_env(), quick=args.quick, repetitions=args.repetitions,
                       progress=lambda message: print(message, file=sys.stderr, flush=True))
    try:
        results = run(ctx)
    finally:
        ctx.stop_hosts()
    if args.json:
        with open(args.json, "w") as out:
            json.dump([r.__dict__ for r in results], out, indent=1)
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
