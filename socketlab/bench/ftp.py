"""FTP benchmark: socketlab's thread-per-connection server against vsftpd and pyftpdlib.

Cases, each against all three servers in the same run, interleaved per repetition:

* ``retr``   download of a 256 MiB file the server has in its page cache (curl, to /dev/null)
* ``stor``   upload of a new 256 MiB file (curl -T), including the server's final 226
             (deleted again afterwards, untimed)
* ``stor-replace`` the same upload over the existing 256 MiB file: socketlab writes a
             temporary file and renames it over the old one (a reader never sees half a
             file), vsftpd and pyftpdlib truncate the old file and write into it
             (all three also report ``server_cpu_ms``: the server container's CPU time for the transfer)
* ``logins`` 300 clients connect and log in at once, from three client hosts (100 each),
             all starting at one shared wall-clock instant

Transfers run from a client host with curl (C, so the client is not the
bottleneck); throughput counts the data phase only (time_total - time_pretransfer).

Why two upload cases: a server that truncates the old file gets its
just-freed pages straight back; one that keeps the old file readable until
the new one is complete needs the file's size in fresh memory, and on a VM
that hands freed memory back to its host fresh pages cost more. Each upload
case therefore starts right after the same amount was deleted on that server
(`_upload_cases`); ``stor`` (a new file) is the like-for-like comparison,
``stor-replace`` shows the atomic replacement against truncation. Each
transfer also records the server container's CPU time, per transfer and per MiB.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..hosts import ClientHost
from .model import BenchContext, CaseResult
from .server_cpu import cpu_ns, wait_until_idle

SUITE = "ftp"
MIB = 1 << 20
LOGIN_HOSTS = 3


@dataclass(frozen=True)
class Target:
    name: str
    service: str
    host_number: int
    user: str
    password: str
    directory: str   # where uploads may go

    def url(self, ip: str, name: str) -> str:
        return f"ftp://{self.user}:{self.password}@{ip}/{self.directory}{name}"


SERVICES = ["ftp", "ftp-vsftpd", "ftp-pyftpdlib"]
"""The compose services this suite needs (the bench runner brings up only these)."""

TARGETS = [
    Target("socketlab", "ftp", 21, "student", "socketlab", ""),
    Target("vsftpd", "ftp-vsftpd", 42, "anonymous", "bench", "pub/"),
    Target("pyftpdlib", "ftp-pyftpdlib", 43, "anonymous", "bench", ""),
]


def _measured(container, action: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run one case on a quiet server and a clean disk: its CPU time and wall clock belong to this case alone.

    `sync` first: the previous upload's 256 MiB of dirty pages would otherwise be
    written back during this case and throttle it (Linux slows writers down
    once dirty pages pile up), billing one server's upload to the next one.
    sync(2) flushes every file system of the machine, whichever container asks.
    """
    container.exec_run(["sync"])
    wait_until_idle(container)
    before = cpu_ns(container)
    metrics = action()
    metrics["server_cpu_ms"] = (cpu_ns(container) - before) / 1e6
    if metrics.get("bytes"):
        metrics["server_cpu_ms_per_mib"] = metrics["server_cpu_ms"] / (metrics["bytes"] / MIB)
    return metrics


def _curl(host: ClientHost, args: str) -> dict[str, float]:
    result = host.sh(f"curl -sS --fail -o /dev/null -w '%{{size_download}} %{{size_upload}} "
                     f"%{{time_pretransfer}} %{{time_total}}' {args}", timeout=600)
    if result.exit_code != 0:
        raise RuntimeError(f"curl {args}: {result.output.strip()}")
    down, up, pre, total = (float(x) for x in result.stdout.split())
    size = max(down, up)
    return {"mib_per_s": size / MIB / max(total - pre, 1e-6), "seconds": total, "bytes": size}


SPARE = "bench-spare.bin"
"""A file each repetition deletes just before its first upload, and puts back after its last."""


def _upload_cases(loader: ClientHost, target: Target, ip: str, server, rep: int, size: int) -> list[CaseResult]:
    """`stor` then `stor-replace`, each started right after 256 MiB were freed on the server's disk.

    A VM may hand freed pages back to its host soon after they are freed (see the
    module's docstring), so every server, in every repetition, starts each upload
    with the same memory at hand: the benchmark compares the servers, not how long
    ago the previous case freed its pages.
    """
    new_name = f"bench-new-{rep}.bin"
    _delete(loader, target, ip, SPARE)
    stor = _measured(server, lambda: _put(loader, target, ip, new_name))
    _delete(loader, target, ip, new_name)
    replace = _measured(server, lambda: _put(loader, target, ip, "bench.bin"))
    _put(loader, target, ip, SPARE)
    return [CaseResult(SUITE, "stor", target.name, rep, stor, f"{size // MIB} MiB upload, new file"),
            CaseResult(SUITE, "stor-replace", target.name, rep, replace, f"{size // MIB} MiB upload over the old file")]


def _put(host: ClientHost, target: Target, ip: str, name: str) -> dict[str, float]:
    """Upload the load host's /tmp/bench.bin as `name`."""
    return _curl(host, f"-T /tmp/bench.bin {target.url(ip, name)}")


def _delete(host: ClientHost, target: Target, ip: str, name: str) -> None:
    """Remove an uploaded file (untimed), so that the next upload has just-freed pages and a new name."""
    result = host.sh(f"curl -sS --fail -o /dev/null -Q '-DELE {name}' {target.url(ip, '')}", timeout=60)
    if result.exit_code != 0:
        raise RuntimeError(f"DELE {name} on {target.name}: {result.output.strip()}")


def _logins(hosts: list[ClientHost], target: Target, ip: str, per_host: int) -> dict[str, float]:
    start = time.time() + 3.0  # every host begins at this instant (shared clock)
    argv = ["python3", "-m", "socketlab_clients.ftp_load", "logins", ip, "--count", str(per_host),
            "--user", target.user, "--password", target.password, "--start", f"{start:.3f}", "--timeout", "15"]
    with ThreadPoolExecutor(len(hosts)) as pool:
        results = list(pool.map(lambda host: host.run(*argv, timeout=120), hosts))
    reports = [json.loads(result.stdout) for result in results]
    seconds = max(report["finish_wall"] for report in reports) - start
    count = sum(report["ok"] for report in reports)
    return {"seconds": seconds, "requests_per_s": count / seconds if seconds > 0 else 0.0,
            "errors": float(sum(report["errors"] for report in reports)), "connections": float(count),
            "p50_ms": max(report["p50_ms"] for report in reports),
            "p99_ms": max(report["p99_ms"] for report in reports),
            "max_ms": max(report["max_ms"] for report in reports)}


def run(ctx: BenchContext) -> list[CaseResult]:
    ctx.expect(1 + ctx.repetitions * len(TARGETS))
    size = 8 * MIB if ctx.quick else 256 * MIB
    per_host = 10 if ctx.quick else 100
    ips = {t.name: ctx.settings.subnet_ip("public", t.host_number) for t in TARGETS}
    hosts = [ctx.client_host() for _ in range(LOGIN_HOSTS)]
    loader = hosts[0]
    results: list[CaseResult] = []
    try:
        ctx.progress(f"ftp: generating a {size // MIB} MiB file on the load host")
        created = loader.sh(f"head -c {size} /dev/urandom > /tmp/bench.bin && cat /tmp/bench.bin > /dev/null")
        if created.exit_code != 0:
            raise RuntimeError(created.output)
        for target in TARGETS:  # warm-up: the files exist on every server, bench.bin sits in its page cache
            _put(loader, target, ips[target.name], "bench.bin")
            _put(loader, target, ips[target.name], SPARE)
            _curl(loader, target.url(ips[target.name], "bench.bin"))
        for rep in range(ctx.repetitions):
            order = TARGETS[rep % len(TARGETS):] + TARGETS[:rep % len(TARGETS)]  # rotate who goes first
            for target in order:
                url = target.url(ips[target.name], "bench.bin")
                ctx.progress(f"ftp: rep {rep + 1}/{ctx.repetitions} {target.name}: stor, stor-replace, retr, logins")
                server = ctx.service_container(target.service)
                results += _upload_cases(loader, target, ips[target.name], server, rep + 1, size)
                retr = _measured(server, lambda url=url: _curl(loader, url))
                results.append(CaseResult(SUITE, "retr", target.name, rep + 1, retr, f"{size // MIB} MiB, cached"))
                logins = _logins(hosts, target, ips[target.name], per_host)
                results.append(CaseResult(SUITE, "logins", target.name, rep + 1, logins,
                                          f"{LOGIN_HOSTS * per_host} clients from {LOGIN_HOSTS} hosts"))
    finally:
        ctx.stop_hosts()
    return results
