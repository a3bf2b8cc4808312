"""The machine a benchmark ran on: results without it cannot be compared."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _docker_versions(client) -> dict[str, str]:
    try:
        info = client.version()
        return {"docker": info.get("Version", "?"), "docker_api": info.get("ApiVersion", "?")}
    except Exception:  # no engine: the description still helps
        return {"docker": "unavailable"}


def _compose_version() -> str:
    try:
        out = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def describe(client=None) -> dict[str, object]:
    """CPU model, cores, memory, kernel, Docker, compose and Python versions, and the time."""
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 0
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    desc: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count() or 0,
        "memory_gib": round(mem_kib / (1 << 20), 1),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python_host": sys.version.split()[0],
        "compose": _compose_version(),
        "load_average_at_start": [round(x, 2) for x in load],
    }
    if client is not None:
        desc.update(_docker_versions(client))
    return desc
