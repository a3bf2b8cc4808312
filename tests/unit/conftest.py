"""Unit-test guards: every test must leave no fds, threads or child processes behind."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

SETTLE_SECONDS = 5.0


def _open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def _children() -> set[int]:
    """Live (or zombie) child processes of this test process."""
    found = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as fh:
                found.update(int(pid) for pid in fh.read().split())
        except OSError:
            continue
    return found


def live_threads() -> set[threading.Thread]:
    """Threads alive now (tests that must prove a join compare two of these, without the settle wait)."""
    return {t for t in threading.enumerate() if t.is_alive()}


_threads = live_threads


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    fds, threads, children = _open_fds(), _threads(), _children()
    yield
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:  # worker threads and reaped children may need a moment to finish
        new_threads = _threads() - threads
        new_fds = _open_fds() - fds
        new_children = _children() - children
        if not (new_threads or new_fds or new_children) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not new_threads, f"test leaked threads: {new_threads}"
    assert not new_children, f"test leaked child processes: {new_children}"
    assert not new_fds, f"test leaked file descriptors: {sorted(new_fds)}"
