"""Running the load generator on client hosts and merging what they report.

The benchmark's generator is `loadgen-c` (clients/loadgen-c/loadgen.c): one
process, one epoll loop, so one load host's connections are bounded by its
open-file limit and by its local port range per destination; past that,
more hosts share the connections. Limits are read from the host
(`loadgen limits`), not assumed.
"""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

from ..hosts import ClientHost
from .model import BenchContext
from .stats import merge_load_reports

PORT_MARGIN = 1000
"""Local ports left free on a load host (health probes, the odd TIME_WAIT)."""


class LoadError(RuntimeError):
    """The load generator itself failed (not the server under test)."""


GENERATOR = "loadgen-c"
"""The compiled generator (one process per host); `loadgen` is its readable Python twin."""


class LoadHosts:
    """A pool of load-generating client hosts, started lazily and kept for the whole suite."""

    FIRST_HOST_NUMBER = 60

    def __init__(self, ctx: BenchContext, generator: str = GENERATOR) -> None:
        self.ctx = ctx
        self.generator = generator
        self.hosts: list[ClientHost] = []
        self.limits: dict | None = None

    def host_capacity(self) -> int:
        """Connections one host can open to one server: min(ports in range, descriptors of its one process)."""
        if self.limits is None:
            self.limits = self._read_limits(self.get(1)[0])
        per_process = max(self.limits["nofile"] - 64, 1)
        return max(min(self.limits["ports"] - PORT_MARGIN, per_process), 1)

    def hosts_for(self, connections: int) -> list[ClientHost]:
        return self.get(max(1, math.ceil(connections / self.host_capacity())))

    def get(self, count: int) -> list[ClientHost]:
        while len(self.hosts) < count:
            number = self.FIRST_HOST_NUMBER + len(self.hosts)
            self.hosts.append(self.ctx.client_host("public", number))
        return self.hosts[:count]

    @staticmethod
    def _read_limits(host: ClientHost) -> dict:
        result = host.run("loadgen", "limits", timeout=60)
        if result.exit_code != 0:
            raise LoadError(f"loadgen limits failed: {result.output.strip().splitlines()[-1:]}")
        return json.loads(result.stdout)

    def run(self, mode: str, target_ip: str, connections: int, timeout: float, **options: float | int) -> dict:
        """Run one load case spread over enough hosts; return the merged report."""
        hosts = self.hosts_for(connections + int(options.get("idle", 0)))
        shares = _split(connections, len(hosts))
        idle_shares = _split(int(options.pop("idle", 0)), len(hosts))

        def one(i: int) -> dict:
            argv = [self.generator, mode, target_ip, "8888", "--connections", str(shares[i])]
            for key, value in options.items():
                argv += [f"--{key}", str(value)]
            if mode == "echo" and idle_shares[i]:
                argv += ["--idle", str(idle_shares[i])]
            result = hosts[i].run(*argv, timeout=timeout)
            if result.exit_code != 0:
                raise LoadError(f"{self.generator} on {hosts[i].ip} failed ({result.exit_code}): "
                                f"{result.stderr.strip().splitlines()[-1:]}")
            return json.loads(result.stdout)

        with ThreadPoolExecutor(len(hosts)) as pool:
            reports = list(pool.map(one, range(len(hosts))))
        merged = merge_load_reports(reports)
        merged["load_hosts"] = len(hosts)
        # Cores the load could use: one per host for the one-process C generator, else the workers.
        merged["client_cores"] = float(sum(min(r.get("workers", 1), self.limits_cpus()) for r in reports))
        return merged

    def limits_cpus(self) -> int:
        return int((self.limits or {}).get("cpus", 1)) or 1


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]
