"""asyncio: the standard library's event loop, as the reference to measure against.

Under the hood it is the epoll model (a selector loop) plus callbacks and
coroutines. The driver uses the low-level `Protocol` API, not streams, to
keep per-message overhead small. Back-pressure: when a transport's write
buffer passes its high-water mark asyncio calls `pause_writing`, and we stop
reading that client until the buffer drains.
"""

from __future__ import annotations

import asyncio
import socket
import time

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import Session, SessionFactory, wants_lingering

from .connection import SWEEP_INTERVAL

WRITE_HIGH_WATER = 256 * 1024


class _SessionProtocol(asyncio.Protocol):
    """Feeds one session from one transport."""

    def __init__(self, new_session: SessionFactory, live: set[_SessionProtocol]) -> None:
        self._new_session = new_session
        self._live = live
        self.session: Session | None = None
        self.transport: asyncio.Transport | None = None
        self._half_closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self.session = self._new_session(transport.get_extra_info("peername"))
        self._live.add(self)

    def data_received(self, data: bytes) -> None:
        self.session.receive(data)
        self._flush()

    def eof_received(self) -> bool:
        self.session.receive(b"")
        self._flush()
        return True  # keep the transport open: we close it after flushing

    def pause_writing(self) -> None:
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        if not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._live.discard(self)

    def expired(self, now: float) -> bool:
        deadline = self.session.deadline()
        return deadline is not None and now >= deadline

    def _flush(self) -> None:
        while out := self.session.outgoing():
            self.transport.write(out)
        if self.session.closing:
            if not wants_lingering(self.session):
                self.transport.close()  # asyncio flushes the write buffer first
            elif not self._half_closed:   # lingering close: FIN after the buffer, keep reading
                self._half_closed = True
                self.transport.write_eof()


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    asyncio.run(_serve(listener, new_session, stop))


async def _serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    loop.add_reader(stop.wakeup_fileno(), stopped.set)
    live: set[_SessionProtocol] = set()
    listener.setblocking(False)
    server = await loop.create_server(lambda: _SessionProtocol(new_session, live), sock=listener)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stopped.wait(), SWEEP_INTERVAL)
            except TimeoutError:
                now = time.monotonic()
                for proto in [p for p in live if p.expired(now)]:
                    proto.transport.abort()
    finally:
        loop.remove_reader(stop.wakeup_fileno())
        server.close()
        for proto in list(live):
            proto.transport.abort()
        await server.wait_closed()
