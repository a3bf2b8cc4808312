"""Multi-process model: one forked child per connection (notes 3.1.1).

Cost: a process per client. Fork copies the page tables and, as Python touches
its objects (reference counts), much of the memory too; each child is a few
MiB. The kernel isolates children from each other, so a crash takes down one
client only. Where it breaks: memory and the pids limit long before 10,000
clients; fork itself is slow next to accepting into an event loop.

Rules kept here: the "fork" start method is the only one (no multiprocessing);
the child closes the listener and ends with `os._exit` so it never runs the
parent's cleanup; the parent closes its copy of the connection; finished
children are reaped with `waitpid(-1, WNOHANG)` in a loop so none stays a
zombie. Never fork a process that runs other threads.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import threading
import time

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .blocking import accept_blocking, serve_blocking_connection

CHILD_EXIT_GRACE = 1.5
"""Seconds a child gets to finish after SIGTERM before it is killed."""

log = logging.getLogger("socketlab.fork")


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    children: set[int] = set()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGCHLD, lambda _s, _f: _reap(children))
    try:
        for sock, peer in accept_blocking(listener, stop):
            _reap(children)
            # SIGCHLD waits until the new pid is recorded, so a fast child is never missed.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            try:
                pid = os.fork()
                if pid == 0:
                    _child(listener, sock, peer, new_session, stop)
                children.add(pid)
            except OSError as exc:  # EAGAIN: pids limit; ENOMEM: out of memory
                log.warning("refusing %s: fork failed: %s", peer, exc.strerror)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            sock.close()  # the child owns the connection now (or there is no child)
    finally:
        _stop_children(children)


def _child(listener: socket.socket, sock: socket.socket, peer: tuple, new_session: SessionFactory,
           stop: StopSignal) -> None:
    """Serve one client in the child and leave with `os._exit` — never return."""
    status = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        listener.close()
        serve_blocking_connection(sock, new_session(peer), stop)
    except BaseException:
        log.exception("child serving %s failed", peer)
        status = 1
    finally:
        os._exit(status)


def _reap(children: set[int]) -> None:
    """Collect every finished child without blocking."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        except InterruptedError:
            continue
        if pid == 0:
            return
        children.discard(pid)


def _stop_children(children: set[int]) -> None:
    for pid in list(children):
        _signal_quietly(pid, signal.SIGTERM)
    deadline = time.monotonic() + CHILD_EXIT_GRACE
    while children and time.monotonic() < deadline:
        _reap(children)
        if children:
            time.sleep(0.01)
    for pid in list(children):
        _signal_quietly(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        children.discard(pid)


def _signal_quietly(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            raise
