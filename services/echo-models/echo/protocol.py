"""RFC 862 echo as a sans-I/O session: every byte received is sent back, in order."""

from __future__ import annotations


class EchoSession:
    """Echo everything; once the peer half-closes, finish sending and close."""

    __slots__ = ("_chunks", "closing")

    def __init__(self, peer: tuple | None = None) -> None:
        self.closing = False
        self._chunks: list[bytes] = []

    def receive(self, data: bytes) -> None:
        if data:
            self._chunks.append(data)
        else:
            self.closing = True

    def outgoing(self) -> bytes:
        chunks = self._chunks
        if not chunks:
            return b""
        self._chunks = []
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def deadline(self) -> float | None:
        return None  # echo clients may stay idle as long as they like (C10K holds them)
