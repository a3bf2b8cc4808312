"""The server's fan-out never blocks: EAGAIN defers in order, overflow drops and counts (a fake socket)."""

from __future__ import annotations

from chatroom.server import Outbox


class FullSocket:
    """Accepts `room` datagrams, then says EAGAIN until `room` is raised again."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.sent: list[tuple[tuple, bytes]] = []

    def sendto(self, data: bytes, addr: tuple) -> int:
        if addr == ("10.0.0.9", 9):
            raise ConnectionRefusedError("unreachable")
        if self.room <= 0:
            raise BlockingIOError
        self.room -= 1
        self.sent.append((addr, data))
        return len(data)


A, B, DEAD = ("10.0.0.1", 1), ("10.0.0.2", 2), ("10.0.0.9", 9)


def test_eagain_defers_and_flush_keeps_the_order() -> None:
    sock = FullSocket(room=1)
    outbox = Outbox(sock, max_backlog=10)  # type: ignore[arg-type]
    outbox.send([(A, b"1"), (B, b"1"), (A, b"2")])
    assert sock.sent == [(A, b"1")] and outbox.pending
    outbox.send([(B, b"2")])  # the buffer is still full: joins the backlog
    sock.room = 10
    outbox.send([(A, b"3")])  # queued behind the backlog, not sent ahead of it
    assert sock.sent == [(A, b"1")]
    outbox.flush()
    assert [d for _, d in sock.sent] == [b"1", b"1", b"2", b"2", b"3"]
    assert not outbox.pending and outbox.stats["sent"] == 5


def test_overflow_drops_and_counts_without_blocking() -> None:
    sock = FullSocket(room=0)
    outbox = Outbox(sock, max_backlog=3)  # type: ignore[arg-type]
    outbox.send([(A, bytes([i])) for i in range(10)])
    assert outbox.stats["dropped"] == 7 and len(outbox.backlog) == 3


def test_unreachable_recipient_is_counted_and_the_others_still_served() -> None:
    sock = FullSocket(room=5)
    outbox = Outbox(sock)  # type: ignore[arg-type]
    outbox.send([(A, b"x"), (DEAD, b"x"), (B, b"x")])
    assert sock.sent == [(A, b"x"), (B, b"x")] and outbox.stats["errors"] == 1
