"""select(): one thread watches every socket; the kernel says which are ready.

The notes' 3.3 IO multiplexing, in its oldest form. Each call hands the kernel
the whole list of descriptors and gets back the ready ones, so the cost of a
call grows with the number of connections, ready or not. Where it breaks:
`select` takes descriptors below FD_SETSIZE (1024) only; Python raises
ValueError past that, so a connection whose descriptor is too high is refused
(closed at once) rather than allowed to crash the loop.
"""

from __future__ import annotations

import logging
import select
import socket

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .accepting import accept_ready
from .connection import SWEEP_INTERVAL, Connection, DeadlineSweep

FD_SETSIZE = 1024

log = logging.getLogger("socketlab.select")


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    listener.setblocking(False)
    listener_fd, wakeup_fd = listener.fileno(), stop.wakeup_fileno()
    conns: dict[int, Connection] = {}
    sweep = DeadlineSweep()
    try:
        while not stop.is_set():
            readers = [listener_fd, wakeup_fd] + [fd for fd, c in conns.items() if c.wants_read]
            writers = [fd for fd, c in conns.items() if c.wants_write]
            readable, writable, _ = select.select(readers, writers, [], SWEEP_INTERVAL)
            touched: list[Connection] = []
            for fd in readable:
                if fd == listener_fd:
                    for sock, peer in accept_ready(listener):
                        if sock.fileno() >= FD_SETSIZE:
                            log.warning("refusing %s: descriptor %d >= FD_SETSIZE", peer, sock.fileno())
                            sock.close()
                            continue
                        conn = Connection(sock, new_session(peer), peer)
                        conns[conn.fileno] = conn
                elif fd != wakeup_fd:
                    conn = conns[fd]
                    conn.read_once()
                    conn.flush()
                    touched.append(conn)
            for fd in writable:
                conn = conns[fd]
                conn.flush()
                touched.append(conn)
            touched += sweep.expired(conns)
            for conn in touched:
                if conn.finished and conns.pop(conn.fileno, None):
                    conn.close()
    finally:
        for conn in conns.values():
            conn.close()
