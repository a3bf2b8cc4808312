"""One HTTP connection as a sans-I/O `Session`: bytes in, responses out, in request order.

Requests may arrive pipelined; their responses are queued in order. At most
`MAX_QUEUED` responses are prepared ahead of what the client has read, the
rest of the pipeline waits, unparsed, in the parser's buffer — so a client
that pipelines thousands of requests without reading costs bounded memory
and descriptors. Large files are `FileBody` pieces pulled one chunk per
`outgoing()` call, i.e. only when the driver's send buffer has drained.

Deadlines (the driver drops the connection once `deadline()` has passed):
idle keep-alive connections after `Timeouts.keepalive`; a request head that
is still incomplete `Timeouts.header` seconds after its first byte
(slowloris); a response the client stops reading for `Timeouts.send`.

Lingering close: when the session closes with request bytes left unread (a
refused request, or a pipeline cut by `Connection: close`), `lingering`
stays true after the last response has left. The driver then shuts down its
sending side and keeps feeding `receive`, which discards, until the client
closes, `Lingering.max_bytes` have been discarded, or the deadline
(`Lingering.time` in all, `Lingering.timeout` without input) passes.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable

from .handler import FileBody, Handler, Piece
from .request import ParseError, RequestParser

MAX_QUEUED = 32
"""Responses prepared ahead of the client's reading, per connection."""

OUT_MAX = 256 * 1024
"""Most bytes handed to the driver per `outgoing()` call."""

log = logging.getLogger("webserver")


class HttpSession:
    """The HTTP/1.1 server side of one connection."""

    __slots__ = (
        "_clock",
        "_discarded",
        "_handler",
        "_idle_since",
        "_last_input",
        "_linger_over",
        "_parser",
        "_peer",
        "_peer_closed",
        "_queue",
        "_refused",
        "_request_started",
        "_sending_since",
        "_served",
        "_stop_parsing",
        "closing",
    )

    def __init__(self, peer: tuple, handler: Handler, clock: Callable[[], float] = time.monotonic) -> None:
        self.closing = False
        self._peer = peer
        self._handler = handler
        self._clock = clock
        self._parser = RequestParser(handler.limits)
        self._queue: deque[Piece] = deque()
        self._stop_parsing = False   # after Connection: close or a refused request
        self._served = False
        self._refused = False        # a request was refused: its bytes may still be arriving
        self._peer_closed = False    # the client has closed its sending half
        self._discarded = 0          # bytes received after parsing stopped, thrown away
        self._linger_over = False    # too many discarded: lingering gives up
        now = clock()
        self._idle_since = now
        self._request_started = now
        self._sending_since = now
        self._last_input = now

    # -- Session protocol ---------------------------------------------------------------------

    @property
    def lingering(self) -> bool:
        """Whether the driver, once the output has left, should half-close and keep reading (and discarding)."""
        return (self.closing and not self._peer_closed and not self._linger_over
                and (self._refused or self._discarded > 0 or self._parser.has_partial))

    def receive(self, data: bytes) -> None:
        if not data:
            self._peer_closed = True
            self.closing = True   # peer half-closed: answer what is complete, then close
            self._advance()
            return
        if self._stop_parsing:
            self._discard(len(data))
            return
        parser = self._parser
        now = self._clock()
        if not parser.has_partial:
            self._request_started = now
        idle = not self._queue
        parser.feed(data)
        self._advance()
        if idle and self._queue:
            self._sending_since = now   # the send timeout runs from when there is something to send

    def outgoing(self) -> bytes:
        queue = self._queue
        if not queue:
            if not self._parser.has_partial:
                return b""   # the usual case once a response has left: nothing buffered, nothing to parse
            self._advance()
            if not queue:
                return b""
        self._sending_since = self._clock()
        parts: list[bytes] = []
        size = 0
        while queue and size < OUT_MAX:
            piece = queue[0]
            if piece.__class__ is bytes:
                queue.popleft()
                parts.append(piece)
                size += len(piece)
            else:
                try:
                    chunk = piece.read(max(OUT_MAX - size, 16 * 1024))
                except (OSError, EOFError) as exc:
                    log.warning("aborting response to %s: %s", self._peer, exc)
                    self._abort()
                    break
                parts.append(chunk)
                size += len(chunk)
                if piece.done:
                    queue.popleft()
            if not queue and self._parser.has_partial:
                self._advance()
        if not queue:
            self._idle_since = self._sending_since
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def deadline(self) -> float | None:
        timeouts = self._handler.timeouts
        if self._queue:
            return self._sending_since + timeouts.send
        if self.closing and self.lingering:   # the last response has left at _idle_since
            lingering = self._handler.lingering
            return min(self._idle_since + lingering.time,
                       max(self._idle_since, self._last_input) + lingering.timeout)
        if self._parser.has_partial and not self._stop_parsing:
            return self._request_started + timeouts.header
        return self._idle_since + (timeouts.keepalive if self._served else timeouts.header)

    # -- internals ----------------------------------------------------------------------------

    def _advance(self) -> None:
        """Parse buffered requests into queued responses, up to MAX_QUEUED ahead.

        Callers skip it when the parser holds nothing (`outgoing` checks; `receive` has just fed it).
        """
        queue, parser, handler = self._queue, self._parser, self._handler
        while not self._stop_parsing and len(queue) < MAX_QUEUED:
            try:
                request = parser.next_request()
            except ParseError as exc:
                queue.append(handler.refuse(exc, self._peer))
                self._refused = True
                self._finish_after_queue()
                return
            if request is None:
                return
            self._served = True
            queue.extend(handler.respond(request, self._peer))
            if not request.keep_alive:
                self._finish_after_queue()

    def _discard(self, size: int) -> None:
        """Bytes that arrived after parsing stopped: counted against the lingering limit, then dropped."""
        self._discarded += size
        self._last_input = self._clock()
        if self._discarded > self._handler.lingering.max_bytes:
            self._linger_over = True

    def _finish_after_queue(self) -> None:
        self._stop_parsing = True
        self.closing = True

    def _abort(self) -> None:
        """A body could not be produced as announced: the only honest move is to close."""
        for piece in self._queue:
            if isinstance(piece, FileBody):
                piece.close()
        self._queue.clear()
        self._finish_after_queue()
