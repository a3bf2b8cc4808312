"""The CPU time a server container has spent, read from its cgroup: what a case cost the server itself.

Wall-clock figures on a shared 2-core machine swing with everyone else's load;
the CPU a server spends per request or per transfer barely does, so the web
and ftp suites report both. Every process of the container is counted (vsftpd's
per-session children, nginx's worker).
"""

from __future__ import annotations

import math
import time

CPU_USAGE_SCRIPT = ("cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null"
                    " || cat /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage 2>/dev/null"
                    " || awk '/^usage_usec/ {print $2 * 1000}' /sys/fs/cgroup/cpu.stat")
"""Nanoseconds of CPU used so far: cgroup v1 (two mount layouts), then v2."""

IDLE_BELOW = 0.1
"""A server is idle once it uses less than this share of a core.

Each probe is a `docker exec`, which itself costs the container ~20 ms of CPU:
over `wait_until_idle`'s 0.5 s interval an idle server shows about 4%.
"""


def cpu_ns(container) -> float:
    """CPU nanoseconds the container has used so far; NaN if the counter cannot be read."""
    if container is None:
        return math.nan
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
    started = time.monotonic()
    before = cpu_ns(container)
    while not math.isnan(before) and time.monotonic() - started < limit:
        time.sleep(interval)
        now = cpu_ns(container)
        if math.isnan(now) or now - before < IDLE_BELOW * interval * 1e9:
            break
        before = now
    return time.monotonic() - started
