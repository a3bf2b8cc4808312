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
room does not retransmit), latency percentiles, out-of-order arrivals, and
the server container's CPU time per datagram delivered.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

from .model import BenchContext, CaseResult
from .server_cpu import cpu_ns

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
                server = ctx.service_container(target)
                cpu_before = cpu_ns(server)
                result = host.run(*argv, timeout=120)
                cpu_used_us = (cpu_ns(server) - cpu_before) / 1e3
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
                        **({"server_cpu_us_per_datagram": cpu_used_us / report["received"]}
                           if report.get("received") and not math.isnan(cpu_used_us) else {}),
                    },
                    notes="relay to N-1 members" if mode == "chat" else "raw recvfrom/sendto baseline",
                ))
    return results
