"""Stopping a server promptly, whatever it is blocked in.

PEP 475 makes Python retry `select`, `accept` and `recv` after a signal, so a
flag set by a SIGTERM handler is never seen by a loop blocked in one of them.
`StopSignal` therefore wakes every kind of loop:

* readiness loops (select/poll/epoll) watch `wakeup_fileno()`, one end of a
  socketpair that `set()` writes to;
* blocking models register their sockets with `track()`; `set()` shuts them
  down, which makes a blocked `accept`/`recv`/`send` return at once.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class StopSignal:
    """A thread-safe, signal-safe "please stop" shared by a server's loops."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._tracked: set[socket.socket] = set()
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def wakeup_fileno(self) -> int:
        """A descriptor that becomes readable once the server must stop."""
        return self._reader.fileno()

    def set(self) -> None:
        """Ask every loop to stop; safe from signal handlers and other threads."""
        self._event.set()
        try:
            self._writer.send(b"x")
        except OSError:
            pass  # buffer full or already closed: the loop is awake anyway
        with self._lock:
            tracked = list(self._tracked)
        for sock in tracked:
            _shutdown_quietly(sock)

    @contextmanager
    def track(self, sock: socket.socket) -> Iterator[socket.socket]:
        """Shut `sock` down if a stop is requested while the block runs."""
        with self._lock:
            self._tracked.add(sock)
        if self._event.is_set():
            _shutdown_quietly(sock)
        try:
            yield sock
        finally:
            with self._lock:
                self._tracked.discard(sock)

    def close(self) -> None:
        self._reader.close()
        self._writer.close()

    def install_signal_handlers(self) -> None:
        """Route SIGTERM and SIGINT to `set()` (main thread only)."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: self.set())


def _shutdown_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected, or already closed
