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

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import Session, wants_lingering

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
            _serve(sock, session)
        except TimeoutError:
            log.info("connection %s timed out", _peer(sock))
        except OSError:
            pass  # reset, broken pipe or shut down by stop: the flow simply ends
        except Exception:  # a protocol bug costs this client only
            log.exception("session for %s failed", _peer(sock))


def _serve(sock: socket.socket, session: Session) -> None:
    """Receive, answer, repeat; the session's deadline becomes the socket's timeout.

    The deadline bounds both waits: a client that sends nothing, and one that
    stops reading its replies (without it, that client would hold this thread or
    process forever). A session with no deadline at all (echo) costs one
    `deadline()` call per wait and nothing else: no `settimeout` (a system call,
    ioctl FIONBIO), no clock read, no helper call. This loop runs once per
    request, and the fork and thread models' requests/s is measured by it (in a
    forked child every extra call also touches more of the child's private
    copy-on-write pages, which the other children evict from the cache).
    """
    recv, sendall = sock.recv, sock.sendall
    receive, outgoing, deadline = session.receive, session.outgoing, session.deadline
    timed = sock.gettimeout() is not None  # does the socket carry a timeout right now?
    while not session.closing:
        if (due := deadline()) is not None or timed:
            timed = _time_out_at(sock, due)
        receive(recv(RECV_SIZE))
        while out := outgoing():
            if (due := deadline()) is not None or timed:
                timed = _time_out_at(sock, due)
            sendall(out)
    if wants_lingering(session):
        _linger(sock, session)


def _linger(sock: socket.socket, session: Session) -> None:
    """Lingering close: send the FIN, then read and discard until the session or its deadline says stop."""
    sock.shutdown(socket.SHUT_WR)
    try:
        while session.lingering:
            _time_out_at(sock, session.deadline())
            session.receive(sock.recv(RECV_SIZE))
    except TimeoutError:
        pass   # the lingering time is up: closing now is the expected end, not a fault


def _time_out_at(sock: socket.socket, deadline: float | None) -> bool:
    """Make the socket's timeout end at `deadline` (None: block); returns whether it now has one."""
    if deadline is None:
        sock.settimeout(None)
        return False
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    return True


def _peer(sock: socket.socket) -> object:
    try:
        return sock.getpeername()
    except OSError:
        return "?"
