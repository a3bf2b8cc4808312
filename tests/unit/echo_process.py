"""Run a real echo server program (``python -m echo``) as a child process for tests.

Running the program itself, not the driver in a thread, tests what a
container runs: argument parsing, signal handling, logging, and the fork
model (which must never fork a process that has other threads).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join(str(REPO / p) for p in ("services/common", "services/echo-models"))
START_TIMEOUT = 10.0
_PORT_LINE = re.compile(r"listening on [\d.]+:(\d+)|UDP echo on [\d.]+:(\d+)")


@dataclass
class EchoProcess:
    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def children(self) -> list[tuple[int, str]]:
        """(pid, state) of this server's child processes; state 'Z' is a zombie."""
        found = []
        for task in os.listdir(f"/proc/{self.pid}/task"):
            with open(f"/proc/{self.pid}/task/{task}/children") as fh:
                for pid in fh.read().split():
                    try:
                        stat = Path(f"/proc/{pid}/stat").read_text()
                    except OSError:
                        continue
                    found.append((int(pid), stat.rsplit(")", 1)[1].split()[0]))
        return found

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float) -> int:
        """SIGTERM; return the exit status, raising TimeoutExpired if it is too slow."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


@contextmanager
def echo_server(model: str | None, udp: bool = False) -> Iterator[EchoProcess]:
    args = ["--udp"] if udp else ["--model", model]
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "echo", *args, "--host", "127.0.0.1", "--port", "0"],
                env={**os.environ, "PYTHONPATH": PYTHONPATH, "LOG_LEVEL": "INFO"},
                stdout=log_file, stderr=log_file,
            )
        try:
            server = EchoProcess(proc, _wait_for_port(proc, log_path), log_path)
            yield server
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _wait_for_port(proc: subprocess.Popen, log_path: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        match = _PORT_LINE.search(log_path.read_text(errors="replace"))
        if match:
            return int(match.group(1) or match.group(2))
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        time.sleep(0.02)
    raise TimeoutError(f"server did not report its port:\n{log_path.read_text()}")


def wait_until(condition, timeout: float, interval: float = 0.02) -> bool:
    """Poll `condition` until it is true or `timeout` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
