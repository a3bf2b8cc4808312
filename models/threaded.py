"""Multi-thread model: one thread per connection, blocking sockets (notes 3.1.2).

Cost: a thread per client — a stack (we ask for 512 KiB), a kernel task, and
scheduling. Threads share memory, so state is easy to share (and must be
locked). Where it breaks: the GIL lets one thread run Python at a time, so CPU
work does not scale across cores; thousands of threads mean context switches
and memory, and a `pids` limit or `ulimit -u` caps how many can exist.

A cost that shows only at scale: when thousands of clients leave at once,
every one of their threads wakes, and each must take the GIL a few times to
close its socket and end. They queue on the GIL's own mutex (a convoy of
futex waits and context switches, not Python code): thousands of threads take
seconds of a core to finish, and a minimal recv-until-reset thread does no
better. An event loop ends the same connections in one pass over its ready list.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from functools import partial

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .blocking import accept_blocking, serve_blocking_connection

THREAD_STACK_SIZE = 512 * 1024
"""Small stacks let ten thousand threads fit; the handlers recurse very little."""

JOIN_TIMEOUT = 1.5
"""On stop, how long all the workers together get to finish (their sockets are shut down first)."""

Connection = Callable[[socket.socket, tuple], None]
"""Runs one accepted connection to its end in its own thread, and closes it."""

Refusal = Callable[[socket.socket, tuple], None]
"""Turns away a connection no thread could be started for, and closes it."""

log = logging.getLogger("socketlab.thread")


def serve(listener: socket.socket, new_session: SessionFactory | None, stop: StopSignal,
          connection: Connection | None = None, refuse: Refusal | None = None) -> None:
    """Accept until `stop`, one thread per connection; on stop, join every thread.

    By default a thread runs the session loop (`new_session(peer)` under
    `serve_blocking_connection`). A server with more to do per connection
    (the FTP server: admission, a data channel, transfers) passes its own
    `connection` instead, and `refuse` to say "busy" in its own protocol.
    """
    if connection is None:
        assert new_session is not None, "the session loop needs a session factory"
        connection = partial(_session_loop, new_session, stop)
    threading.stack_size(THREAD_STACK_SIZE)
    workers: set[threading.Thread] = set()
    try:
        for sock, peer in accept_blocking(listener, stop):
            worker = threading.Thread(target=_run, args=(connection, sock, peer, workers), daemon=True)
            workers.add(worker)
            try:
                worker.start()
            except RuntimeError as exc:  # can't start new thread: pids or memory exhausted
                workers.discard(worker)
                log.warning("refusing %s: %s", peer, exc)
                (refuse or _close)(sock, peer)
    finally:
        stop.set()  # shuts down every tracked client socket, so workers return
        deadline = time.monotonic() + JOIN_TIMEOUT
        for worker in list(workers):
            worker.join(max(0.0, deadline - time.monotonic()))


def _session_loop(new_session: SessionFactory, stop: StopSignal, sock: socket.socket, peer: tuple) -> None:
    serve_blocking_connection(sock, new_session(peer), stop)


def _run(connection: Connection, sock: socket.socket, peer: tuple, workers: set[threading.Thread]) -> None:
    try:
        connection(sock, peer)
    finally:
        workers.discard(threading.current_thread())


def _close(sock: socket.socket, _peer: tuple) -> None:
    sock.close()
