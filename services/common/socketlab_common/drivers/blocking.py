"""Blocking I/O for the one-connection-per-flow models: iterative, fork and thread.

These models are the notes' 3.1: each connection gets a flow of control that
may block in `recv` and `sendall` without harming anyone else (or, in the
iterative model, harming everyone else — which is its lesson).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

from ..lifecycle import StopSignal
from ..session import Session
from .accepting import accept_or_none
from .connection import RECV_SIZE

log = logging.getLogger("socketlab.driver")


def accept_blocking(listener: socket.socket, stop: StopSignal) -> Iterator[tuple[socket.socket, tuple]]:
    """Yield accepted connections until `stop` is set (which shuts the listener down)."""
    listener.setblocking(True)
    with stop.track(listener):
        while not stop.is_set():
            try:
                accepted = accept_or_none(listener)
            except OSError:
                if stop.is_set():
                    return
                raise
            if accepted is not None:
                yield accepted


def serve_blocking_connection(sock: socket.socket, session: Session, stop: StopSignal) -> None:
    """Run one session to completion on a blocking socket, then close it."""
    with sock, stop.track(sock):
        try:
            while not session.closing:
                _set_timeout(sock, _seconds_left(session))
                session.receive(sock.recv(RECV_SIZE))
                _send_ready_output(sock, session)
        except TimeoutError:
            log.info("connection %s timed out", _peer(sock))
        except OSError:
            pass  # reset, broken pipe or shut down by stop: the flow simply ends
        except Exception:  # a protocol bug costs this client only
            log.exception("session for %s failed", _peer(sock))


def _send_ready_output(sock: socket.socket, session: Session) -> None:
    """Send everything the session has ready; a reader that stops reading meets the session's deadline.

    Without that deadline a client that never reads its replies would hold this thread (or
    process) forever; sessions with no deadline at all (echo) block as long as the peer lets them.
    """
    while out := session.outgoing():
        _set_timeout(sock, _seconds_left(session))
        sock.sendall(out)


def _set_timeout(sock: socket.socket, timeout: float | None) -> None:
    """`settimeout` is a system call (ioctl FIONBIO) every time: skip it when nothing would change.

    A session without a deadline (echo) then costs two system calls per request fewer, which the
    benchmark sees as requests/s for the fork and thread models.
    """
    if timeout is not None or sock.gettimeout() is not None:
        sock.settimeout(timeout)


def _seconds_left(session: Session) -> float | None:
    deadline = session.deadline()
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)


def _peer(sock: socket.socket) -> object:
    try:
        return sock.getpeername()
    except OSError:
        return "?"
