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

    Lingering close (optional): a session may also have a `lingering`
    attribute. If it is true once `closing` is set and the output is flushed,
    the driver shuts down its sending side (the peer reads the end of the
    response and the FIN) and keeps reading, feeding `receive`, until
    `lingering` turns false or `deadline` passes; then it closes. Closing
    with unread input makes the kernel send a reset, which can destroy the
    last response before the peer reads it (RFC 9112 9.6). Sessions without
    the attribute never linger.
    """

    closing: bool

    def receive(self, data: bytes) -> None:
        """Consume bytes from the peer; ``b""`` means end of stream."""

    def outgoing(self) -> bytes:
        """Return the next bytes ready to send, or ``b""`` if none are ready."""

    def deadline(self) -> float | None:
        """Monotonic time after which the connection is dropped, or None."""


def wants_lingering(session: Session) -> bool:
    """Whether a closing session asks its driver for a lingering close (see `Session`)."""
    return getattr(session, "lingering", False)


SessionFactory = Callable[[tuple], Session]
"""Builds a fresh session for a new connection, given the peer address."""
