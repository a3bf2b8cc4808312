"""`socketlab capture` run as a user runs it, for the tests that read its pcap and its summary."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .lab import ComposeLab

CLI = [sys.executable, "-m", "socketlab.cli"]


@dataclass
class RunningCapture:
    process: subprocess.Popen
    stderr_lines: list[str] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        """What the command printed so far: tcpdump's lines, then the CLI's summary."""
        return "".join(self.stderr_lines)


@contextmanager
def socketlab_capture(lab: ComposeLab, target: str, pcap: Path, *bpf: str,
                      timeout: float = 30) -> Iterator[RunningCapture]:
    """`socketlab capture TARGET -o PCAP BPF...`, yielded once tcpdump listens; ended with Ctrl-C
    (tcpdump flushes, the CLI summarises) when the block ends."""
    process = subprocess.Popen([*CLI, "capture", target, "-o", str(pcap), "--duration", "120", *bpf],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=lab.settings.compose_env())
    capture = RunningCapture(process)
    ready = threading.Event()

    def pump() -> None:
        for raw in process.stderr:
            capture.stderr_lines.append(raw.decode(errors="replace"))
            if "listening on" in capture.stderr_lines[-1]:
                ready.set()

    pumper = threading.Thread(target=pump, daemon=True)
    pumper.start()
    try:
        assert ready.wait(timeout), "tcpdump never started: " + capture.stderr
        yield capture
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout)
        pumper.join(10)
