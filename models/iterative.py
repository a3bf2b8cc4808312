"""Iterative (loop) model: accept one client, serve it to the end, accept the next.

The notes' first server. It costs nothing beyond one socket, and that is its
only virtue: while one client is connected, every other client waits in the
listen backlog (their `connect` succeeds, but nothing is echoed) until the
first one leaves. It suits only short, rare requests.
"""

from __future__ import annotations

import socket

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .blocking import accept_blocking, serve_blocking_connection


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    for sock, peer in accept_blocking(listener, stop):
        serve_blocking_connection(sock, new_session(peer), stop)
