"""Accepting connections robustly, shared by every driver.

`accept` can fail for reasons that concern only one client or only this
instant: ECONNABORTED (the client gave up while queued), EMFILE/ENFILE (out of
descriptors: back off and let connections close), ENOBUFS/ENOMEM. None of
them may stop the server.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Iterator

log = logging.getLogger("socketlab.accept")

_TRANSIENT = {errno.ECONNABORTED, errno.EPROTO, errno.EPERM, errno.EINTR}
_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}

EXHAUSTED_BACKOFF = 0.05
"""Seconds to pause accepting when descriptors or memory run out."""


def accept_or_none(listener: socket.socket) -> tuple[socket.socket, tuple] | None:
    """Accept one connection, or return None if there is none to take right now.

    Every accepted TCP connection gets TCP_NODELAY, as asyncio, uvloop and nginx
    (keep-alive) give theirs: a reply written in two sends (a 100 KiB echo read as
    64 KiB + 36 KiB) otherwise has its tail held by Nagle's algorithm until the
    first send's short last segment is acknowledged, a round trip per message, which
    caps large echoes far below what the model can do. Closing connections still
    coalesce their last bytes with the FIN: `Connection.flush` sends those with MSG_MORE.
    """
    try:
        sock, peer = listener.accept()
    except BlockingIOError:
        return None
    except OSError as exc:
        if exc.errno in _TRANSIENT:
            return None
        if exc.errno in _EXHAUSTED:
            log.warning("accept: %s; backing off", exc.strerror)
            time.sleep(EXHAUSTED_BACKOFF)
            return None
        raise
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # already reset by the peer: the first recv will say so
    return sock, peer


ACCEPT_BATCH = 128
"""Connections taken per readiness event: enough for bursts, bounded for fairness."""


def accept_ready(listener: socket.socket, batch: int = ACCEPT_BATCH) -> Iterator[tuple[socket.socket, tuple]]:
    """Yield the connections waiting on a non-blocking listener, at most `batch` of them."""
    for _ in range(batch):
        accepted = accept_or_none(listener)
        if accepted is None:
            return
        yield accepted
