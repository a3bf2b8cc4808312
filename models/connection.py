"""Per-connection buffering shared by the readiness loops (select, poll, epoll).

A non-blocking `send` may take only part of what it is given, so each
connection keeps what is left in `pending` and asks for writability only
while that is non-empty. It reads only while `pending` is empty: a client
that does not read its replies stops being read from (back-pressure), so
one slow reader costs at most one receive buffer of memory.
"""

from __future__ import annotations

import errno
import logging
import socket
import time

from socketlab_common.session import Session, wants_lingering

RECV_SIZE = 64 * 1024
"""Bytes asked of `recv` at once: big enough for bulk data, small enough to stay off mmap.

`recv(n)` allocates an n-byte bytes object and shrinks it to what arrived.
From 128 KiB up glibc serves that with `mmap`, shrinks it with `mremap` and
unmaps it on free — never raising its threshold, since the freed chunk is
small by then — so every read would pay a fresh mapping and its page faults,
several times the cost of the read itself for small messages (docs/bench-notes.md).
"""

log = logging.getLogger("socketlab.driver")

_GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


class Connection:
    """A client socket, its session and the bytes the kernel has not taken yet."""

    __slots__ = ("broken", "fileno", "half_closed", "peer", "pending", "session", "sock")

    def __init__(self, sock: socket.socket, session: Session, peer: tuple) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.session = session
        self.peer = peer
        self.pending = memoryview(b"")
        self.broken = False
        self.half_closed = False   # lingering: our FIN has left, the peer's bytes are read and dropped
        self.fileno = sock.fileno()

    @property
    def wants_read(self) -> bool:
        return not self.pending and not self.broken and (not self.session.closing or self._lingers())

    @property
    def wants_write(self) -> bool:
        return bool(self.pending) and not self.broken

    @property
    def finished(self) -> bool:
        """True once the connection should be closed (all output flushed and no lingering, or dead)."""
        return self.broken or (self.session.closing and not self.pending and not self._lingers())

    def _lingers(self) -> bool:
        return self.half_closed and self.session.lingering

    def read_once(self) -> int:
        """Read one chunk into the session; how many bytes (0 on EAGAIN, EOF or error)."""
        try:
            data = self.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return 0
        except _GONE:
            self.broken = True
            return 0
        except OSError as exc:
            self._fail(exc)
            return 0
        try:
            self.session.receive(data)
        except Exception:  # a protocol bug costs this client only, never the loop
            log.exception("session for %s failed on input", self.peer)
            self.broken = True
            return 0
        return len(data)

    def flush(self) -> None:
        """Send as much as the kernel takes now, pulling new output from the session."""
        while not self.broken:
            if not self.pending:
                try:
                    out = self.session.outgoing()
                except Exception:
                    log.exception("session for %s failed producing output", self.peer)
                    self.broken = True
                    return
                if not out:
                    if self.session.closing and not self.half_closed and wants_lingering(self.session):
                        self._half_close()
                    return
                self.pending = memoryview(out)
            try:
                # The last bytes before a close wait for the FIN (see `close`): one segment, not two.
                sent = self.sock.send(self.pending, socket.MSG_MORE if self.session.closing else 0)
            except BlockingIOError:
                return
            except _GONE:
                self.broken = True
                return
            except OSError as exc:
                self._fail(exc)
                return
            self.pending = self.pending[sent:]

    def _half_close(self) -> None:
        """Start a lingering close: send the FIN (and any corked tail) now, keep reading until the session is done."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.broken = True
            return
        self.half_closed = True

    def expired(self, now: float) -> bool:
        deadline = self.session.deadline()
        return deadline is not None and now >= deadline

    def close(self) -> None:
        """Close; a session that finished cleanly sends its FIN with its last data.

        Its last sends were flagged MSG_MORE, so their tail is held back;
        `shutdown(SHUT_WR)` sends it together with the FIN (one segment where
        there were two, as nginx's `tcp_nopush` does), and does so before
        `close`, which would reset instead if unread input were still queued.
        """
        try:
            if not self.broken and self.session.closing and not self.half_closed:
                self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def _fail(self, exc: OSError) -> None:
        if exc.errno not in (errno.ECONNRESET, errno.EPIPE, errno.ETIMEDOUT):
            log.warning("connection %s failed: %s", self.peer, exc)
        self.broken = True


SWEEP_INTERVAL = 1.0
"""Seconds between deadline sweeps in the readiness loops (also their longest wait)."""


class DeadlineSweep:
    """Once per SWEEP_INTERVAL, finds connections whose session deadline has passed.

    Idle keep-alive clients and slowloris-style senders are dropped this way;
    sessions without deadlines (echo) cost one comparison per connection per second.
    """

    def __init__(self) -> None:
        self._next = time.monotonic() + SWEEP_INTERVAL

    def expired(self, conns: dict[int, Connection]) -> list[Connection]:
        """The connections past their deadline, marked broken so the loop closes them."""
        now = time.monotonic()
        if now < self._next:
            return []
        self._next = now + SWEEP_INTERVAL
        expired = [conn for conn in conns.values() if conn.expired(now)]
        for conn in expired:
            conn.broken = True
        return expired
