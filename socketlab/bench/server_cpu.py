"""The CPU time a server container has spent, read from its cgroup: what a case cost the server itself.

Wall-clock figures on a shared machine swing with everyone else's load and
with the client; the CPU a server spends per request, per MiB or per datagram
barely does, so every suite reports it. Every process of the container is
counted (vsftpd's per-session children, nginx's worker).

The counter is read from the engine host's cgroup file system when this
process runs beside the engine (no cost to the container), and otherwise
with a `docker exec` inside it (which itself costs the container a little CPU).

Also: waiting until the servers' cores are quiet before a case starts, so one
case's teardown (ten thousand threads or two thousand processes exiting)
is not measured as the next model's latency.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

PROC_STAT = Path("/proc/stat")

CPU_USAGE_SCRIPT = ("cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null"
                    " || cat /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage 2>/dev/null"
                    " || awk '/^usage_usec/ {print $2 * 1000}' /sys/fs/cgroup/cpu.stat")
"""Nanoseconds of CPU used so far: cgroup v1 (two mount layouts), then v2."""

IDLE_BELOW = 0.1
"""A server is idle once it uses less than this share of a core.

Each probe is a `docker exec`, which itself costs the container ~20 ms of CPU:
over `wait_until_idle`'s 0.5 s interval an idle server shows about 4%.
"""


CGROUP_ROOT = Path("/sys/fs/cgroup")
HOST_COUNTERS = (
    ("cpuacct/docker/{id}/cpuacct.usage", 1.0),                    # cgroup v1, cgroupfs driver
    ("cpu,cpuacct/docker/{id}/cpuacct.usage", 1.0),
    ("cpuacct/system.slice/docker-{id}.scope/cpuacct.usage", 1.0),  # cgroup v1, systemd driver
    ("system.slice/docker-{id}.scope/cpu.stat", 1000.0),           # cgroup v2: usage_usec
    ("docker/{id}/cpu.stat", 1000.0),
)
"""Where the engine host keeps a container's CPU counter, and nanoseconds per unit."""


def host_cpu_ns(container_id: str, root: Path = CGROUP_ROOT) -> float:
    """The container's CPU nanoseconds from the host's cgroup files; NaN when none is readable here."""
    for template, scale in HOST_COUNTERS:
        try:
            text = (root / template.format(id=container_id)).read_text()
        except OSError:
            continue
        # cpu.stat's first line is "usage_usec N"; cpuacct.usage holds the number alone
        return float(text.split()[1] if text.startswith("usage_usec") else text) * scale
    return math.nan


def cpu_ns(container) -> float:
    """CPU nanoseconds the container has used so far; NaN if the counter cannot be read."""
    if container is None:
        return math.nan
    on_host = host_cpu_ns(getattr(container, "id", "") or "")
    if not math.isnan(on_host):
        return on_host
    try:
        code, output = container.exec_run(["sh", "-c", CPU_USAGE_SCRIPT])
        return float(output.decode().split()[0]) if code == 0 else math.nan
    except (IndexError, ValueError, OSError):
        return math.nan


def wait_until_idle(container, *, interval: float = 0.5, limit: float = 10.0) -> float:
    """Wait until the container stops using CPU (at most `limit` s); returns the seconds waited.

    Work a server defers past its reply (an FTP upload frees the file it
    replaced after the 226) would otherwise be billed to the next case.
    """
    return _wait_until_quiet(lambda: (cpu_ns(container), time.monotonic_ns()), interval, limit)


def _wait_until_quiet(read: Callable[[], tuple[float, float]], interval: float, limit: float) -> float:
    """Sample `read()` -> (busy, elapsed) counters until busy grew by less than IDLE_BELOW of elapsed
    over one interval, or `limit` seconds passed; a counter that cannot be read (NaN) ends the wait."""
    started = time.monotonic()
    before = read()
    while not math.isnan(before[0]) and time.monotonic() - started < limit:
        time.sleep(interval)
        now = read()
        elapsed = now[1] - before[1]
        if math.isnan(now[0]) or (elapsed > 0 and (now[0] - before[0]) / elapsed < IDLE_BELOW):
            break
        before = now
    return time.monotonic() - started


def cores_of(cpuset: str | None) -> set[int] | None:
    """{0, 2, 3} for "0,2-3"; None (every core) for None."""
    if not cpuset:
        return None
    cores: set[int] = set()
    for part in cpuset.split(","):
        low, _, high = part.partition("-")
        cores.update(range(int(low), int(high or low) + 1))
    return cores


def busy_jiffies(cores: set[int] | None, stat: str | None = None) -> tuple[int, int]:
    """(busy, total) clock ticks so far, summed over `cores` (None: all), from /proc/stat."""
    busy = total = 0
    for line in (stat if stat is not None else PROC_STAT.read_text()).splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        if cores is not None and int(name[3:]) not in cores:
            continue
        ticks = [int(f) for f in fields[:8]]  # user nice system idle iowait irq softirq steal
        total += sum(ticks)
        busy += sum(ticks) - ticks[3] - ticks[4]
    return busy, total


def wait_until_cores_idle(cpuset: str | None, *, interval: float = 0.25, limit: float = 20.0) -> float:
    """Wait until the cores in `cpuset` (None: all) are less than IDLE_BELOW busy; returns the seconds waited.

    Read from the engine host's /proc/stat (the Docker engine runs on this machine): no `docker exec`,
    which would itself cost CPU, and no exec that a container at its pids limit would refuse.
    """
    cores = cores_of(cpuset)

    def read() -> tuple[float, float]:
        try:
            return busy_jiffies(cores)
        except OSError:
            return math.nan, math.nan

    return _wait_until_quiet(read, interval, limit)
