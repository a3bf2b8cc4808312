"""The contract between a protocol and the I/O loop that drives it.

A protocol is plain code that takes bytes and returns bytes with no socket in
it (h11's lesson), so the same echo or HTTP logic runs unchanged under every
concurrency model, and unit tests can feed it input whole or one byte at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Session(Protocol):
    """One TCP connection's protocol state, owned by exactly one driver.

    Drivers call `receive` with each chunk read (``b""`` once the peer has
    closed its sending half), then drain `outgoing` until it returns ``b""``.
    When `closing` is true the driver flushes what is left and closes.
    """

    closing: bool

    def receive(self, data: bytes) -> None:
        """Consume bytes from the peer; ``b""`` means end of stream."""

    def outgoing(self) -> bytes:
        """Return the next bytes ready to send, or ``b""`` if none are ready."""

    def deadline(self) -> float | None:
        """Monotonic time after which the connection is dropped, or None."""


SessionFactory = Callable[[tuple], Session]
"""Builds a fresh session for a new connection, given the peer address."""
