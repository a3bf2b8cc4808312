"""poll(): select without the 1024 limit, still one list handed over per call.

Descriptors are registered with an event mask instead of rebuilt into bit
sets, so any descriptor number works. Each `poll` call still copies every
registered descriptor into the kernel and scans them all, so its cost grows
with idle connections: 5,000 quiet clients slow down every reply to the busy
ones. That is the cost epoll removes.
"""

from __future__ import annotations

import select
import socket

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .accepting import accept_ready
from .connection import SWEEP_INTERVAL, Connection, DeadlineSweep

READ, WRITE = select.POLLIN, select.POLLOUT


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    listener.setblocking(False)
    listener_fd, wakeup_fd = listener.fileno(), stop.wakeup_fileno()
    conns: dict[int, Connection] = {}
    masks: dict[int, int] = {}
    poller = select.poll()
    poller.register(listener_fd, READ)
    poller.register(wakeup_fd, READ)
    sweep = DeadlineSweep()
    try:
        while not stop.is_set():
            events = poller.poll(SWEEP_INTERVAL * 1000)
            touched: list[Connection] = []
            for fd, _event in events:
                if fd == listener_fd:
                    for sock, peer in accept_ready(listener):
                        conn = Connection(sock, new_session(peer), peer)
                        conns[conn.fileno] = conn
                        masks[conn.fileno] = READ
                        poller.register(conn.fileno, READ)
                elif fd != wakeup_fd:
                    conn = conns[fd]
                    if conn.wants_read:
                        conn.read_once()
                    conn.flush()
                    touched.append(conn)
            touched += sweep.expired(conns)
            for conn in touched:
                if conn.finished:
                    if conns.pop(conn.fileno, None):
                        poller.unregister(conn.fileno)
                        del masks[conn.fileno]
                        conn.close()
                    continue
                mask = (READ if conn.wants_read else 0) | (WRITE if conn.wants_write else 0)
                if masks[conn.fileno] != mask:
                    masks[conn.fileno] = mask
                    poller.modify(conn.fileno, mask)
    finally:
        for conn in conns.values():
            conn.close()
