"""The shapes every benchmark suite shares: what a run gets and what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..hosts import ClientHost
from ..lab import Lab


@dataclass(frozen=True)
class CaseResult:
    """One measurement: a case, against one target, one repetition.

    `metrics` uses these keys where they apply: requests_per_s, mib_per_s,
    p50_ms, p90_ms, p99_ms, max_ms, errors, connections (held), delivered_fraction.
    """

    suite: str
    case: str
    target: str
    repetition: int
    metrics: dict[str, float]
    notes: str = ""


@dataclass
class BenchContext(Lab):
    """The lab under test plus how this run measures it."""

    quick: bool = False             # tiny sizes and durations, for the CI smoke run
    light: bool = False             # `socketlab bench --quick`: the few cases a class waits for
    repetitions: int = 3
    load_cpuset: str | None = None  # cores for load generators (None: no pinning)
    progress: Callable[[str], None] = lambda _message: None
    server_cpuset: str | None = None  # cores for the servers under test (None: no pinning)
    cpu_shares: int | None = None     # CPU weight of load hosts (None: Docker's default 1024)
    expect: Callable[[int], None] = lambda _steps: None  # a suite announces how many progress() calls follow
    cases: tuple[str, ...] = ()     # run only these cases (echo suite); empty: all of them
    targets: tuple[str, ...] = ()   # run only these targets (echo suite); empty: all of them

    def servers_under_test(self, suite: str, targets: dict[str, str]) -> dict[str, str]:
        """Target name -> IP for the targets (name -> compose service) that run, pinned to `server_cpuset`.

        A missing peer (a stack started without the bench profile) is skipped with a note, not an error.
        """
        running = {name: service for name, service in targets.items() if self.has_service(service)}
        missing = sorted(set(targets) - set(running))
        if missing:
            self.progress(f"{suite}: not running, skipped: {', '.join(missing)}")
        if self.server_cpuset:
            for service in running.values():
                self.service_container(service).update(cpuset_cpus=self.server_cpuset)
        return {name: self.service_ip(service) for name, service in running.items()}

    def client_host(self, network: str = "public", host_number: int | None = None,
                    labels: dict[str, str] | None = None, **run_kwargs) -> ClientHost:
        """Start a load-generating client host (pinned to `load_cpuset` if set)."""
        if self.load_cpuset and "cpuset_cpus" not in run_kwargs:
            run_kwargs["cpuset_cpus"] = self.load_cpuset
        if self.cpu_shares and "cpu_shares" not in run_kwargs:
            run_kwargs["cpu_shares"] = self.cpu_shares
        return super().client_host(network, host_number,
                                   labels=labels or {"socketlab.system": "benchmark load host"}, **run_kwargs)
