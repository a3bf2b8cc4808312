"""The chat server's I/O: one UDP socket for the room, one loopback socket for the administrator.

The notes' server is one blocking ``recvfrom`` loop; so is this one, made
non-blocking under ``poll`` so that three more things fit in it: the
administrator's socket, the liveness sweep on a timer, and a stop signal.
One thread handles every datagram in arrival order, so messages from one
sender reach each member in the order they were sent (when none is lost).

Fan-out never blocks on a recipient: the socket is non-blocking, and when
``sendto`` says EAGAIN (the socket's send buffer is full) the datagram joins
a bounded, ordered backlog that is flushed when poll reports POLLOUT; past
`MAX_BACKLOG` datagrams are dropped and counted. UDP may lose datagrams
anyway (a full receive buffer at either end): nothing here retransmits.
"""

from __future__ import annotations

import logging
import select
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable

from socketlab_common.lifecycle import StopSignal
from socketlab_common.wire import chat as p

from .room import Addr, Room

MAX_BACKLOG = 4096
"""Datagrams held while the send buffer is full; more are dropped (and counted), never waited for."""

SOCKET_BUFFER = 1 << 20
"""Requested SO_RCVBUF/SO_SNDBUF: bursts of fan-out fit before anything drops (the kernel may cap it)."""

log = logging.getLogger("chat.server")


class Outbox:
    """Sends datagrams without ever blocking, keeping their order."""

    def __init__(self, sock: socket.socket, max_backlog: int = MAX_BACKLOG) -> None:
        self.sock = sock
        self.max_backlog = max_backlog
        self.backlog: deque[tuple[Addr, bytes]] = deque()
        self.stats: Counter = Counter()  # sent, deferred, dropped, errors

    @property
    def pending(self) -> bool:
        return bool(self.backlog)

    def send(self, messages: Iterable[tuple[Addr, bytes]]) -> None:
        for addr, data in messages:
            if self.backlog:  # never overtake what is already waiting
                self._defer(addr, data)
            elif self._try(addr, data) is None:
                self._defer(addr, data)

    def flush(self) -> None:
        """Send the backlog, oldest first, until it is empty or the buffer is full again."""
        while self.backlog:
            addr, data = self.backlog[0]
            if self._try(addr, data) is None:
                return
            self.backlog.popleft()

    def _try(self, addr: Addr, data: bytes) -> bool | None:
        """True: sent; False: failed for good (counted); None: would block."""
        try:
            self.sock.sendto(data, addr)
        except BlockingIOError:
            return None
        except OSError as exc:  # unreachable peer and friends: UDP drops, the loop goes on
            self.stats["errors"] += 1
            log.debug("sendto %s:%d: %s", *addr, exc)
            return False
        self.stats["sent"] += 1
        return True

    def _defer(self, addr: Addr, data: bytes) -> None:
        if len(self.backlog) >= self.max_backlog:
            self.stats["dropped"] += 1
            return
        self.stats["deferred"] += 1
        self.backlog.append((addr, data))


def tune_buffers(sock: socket.socket, size: int = SOCKET_BUFFER) -> None:
    for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
        except OSError as exc:
            log.debug("setsockopt %s: %s", option, exc)


class ChatServer:
    """The room behind a public UDP socket, plus a loopback-only admin socket."""

    def __init__(self, sock: socket.socket, admin_sock: socket.socket | None, room: Room, stop: StopSignal,
                 clock: Callable[[], float] = time.monotonic, stats_interval: float = 60.0) -> None:
        self.sock = sock
        self.admin_sock = admin_sock
        self.room = room
        self.stop = stop
        self.clock = clock
        self.stats_interval = stats_interval
        self.outbox = Outbox(sock)
        self._last_counts: dict[str, int] = {}

    def serve(self) -> None:
        self.sock.setblocking(False)
        tune_buffers(self.sock)
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(self.stop.wakeup_fileno(), select.POLLIN)
        if self.admin_sock is not None:
            self.admin_sock.setblocking(False)
            poller.register(self.admin_sock.fileno(), select.POLLIN)
        sweep_every = max(0.05, min(1.0, self.room.timeout / 10))
        next_sweep = self.clock() + sweep_every
        next_stats = self.clock() + self.stats_interval
        watching_out = False
        while not self.stop.is_set():
            if self.outbox.pending != watching_out:
                watching_out = self.outbox.pending
                poller.modify(self.sock.fileno(), select.POLLIN | (select.POLLOUT if watching_out else 0))
            wait_ms = max(0, int((next_sweep - self.clock()) * 1000) + 1)
            for fd, events in poller.poll(wait_ms):
                if fd == self.sock.fileno():
                    if events & select.POLLOUT:
                        self.outbox.flush()
                    if events & (select.POLLIN | select.POLLERR):
                        self._receive()
                elif self.admin_sock is not None and fd == self.admin_sock.fileno():
                    self._admin()
            now = self.clock()
            if now >= next_sweep:
                self.outbox.send(self.room.expire(now))
                next_sweep = now + sweep_every
            if now >= next_stats:
                self.log_counts()
                next_stats = now + self.stats_interval
        self.log_counts(force=True)

    def counts(self) -> dict[str, int]:
        return {"members": len(self.room.by_name), **self.room.stats, **self.outbox.stats}

    def log_counts(self, force: bool = False) -> None:
        counts = self.counts()
        if force or counts != self._last_counts:
            log.info("counts: %s", " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
            self._last_counts = counts

    def _receive(self, batch: int = 64) -> None:
        for _ in range(batch):
            try:
                data, addr = self.sock.recvfrom(p.RECV_BUFFER)
            except BlockingIOError:
                return
            except OSError as exc:  # e.g. ECONNREFUSED left by an ICMP error for an earlier sendto
                log.debug("recvfrom: %s", exc)
                continue
            try:
                out = self.room.handle(addr[:2], data, self.clock())
            except Exception:  # a bug in the room must cost one datagram, not the room
                log.exception("handling %r from %s", data[:64], addr)
                continue
            self.outbox.send(out)

    def _admin(self, batch: int = 16) -> None:
        assert self.admin_sock is not None
        for _ in range(batch):
            try:
                data, addr = self.admin_sock.recvfrom(p.RECV_BUFFER)
            except BlockingIOError:
                return
            except OSError as exc:
                log.debug("admin recvfrom: %s", exc)
                continue
            reply = self._admin_command(data)
            try:
                self.admin_sock.sendto(reply, addr)
            except OSError as exc:
                log.warning("admin reply to %s: %s", addr, exc)

    def _admin_command(self, data: bytes) -> bytes:
        """``A text`` announce, ``W`` who is in, ``S`` counters."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return p.error("not UTF-8")
        kind, _, rest = text.partition(" ")
        if kind == "A":
            try:
                messages = self.room.announce(rest)
            except p.ProtocolError as exc:
                return p.error(str(exc))
            self.outbox.send(messages)
            return f"OK {len(messages)}".encode()
        if kind == "W":
            lines = [f"{m.name} {m.addr[0]}:{m.addr[1]}" for m in self.room.members()]
            return "\n".join([f"OK {len(lines)}", *lines]).encode()
        if kind == "S":
            return ("OK " + " ".join(f"{k}={v}" for k, v in sorted(self.counts().items()))).encode()
        return p.error("admin requests: A text | W | S")
