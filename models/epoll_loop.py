"""epoll (level-triggered): the kernel keeps the interest list; a call returns only ready sockets.

Sockets are registered once with `epoll_ctl`; the kernel remembers them and
queues a socket on a ready list when it becomes ready, so `epoll_wait` costs
grow with the number of *ready* sockets, not with all of them. Idle
connections cost memory only: this is the answer to C10K (Linux only).
Level-triggered: a socket that still has unread data is reported again on the
next call, so reading one chunk per wake-up is correct, as with select/poll.
Unregister before close: a closed descriptor number may be reused at once.
"""

from __future__ import annotations

import select
import socket

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .accepting import accept_ready
from .connection import SWEEP_INTERVAL, Connection, DeadlineSweep

READ, WRITE = select.EPOLLIN, select.EPOLLOUT


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    listener.setblocking(False)
    listener_fd, wakeup_fd = listener.fileno(), stop.wakeup_fileno()
    conns: dict[int, Connection] = {}
    masks: dict[int, int] = {}
    poller = select.epoll()
    poller.register(listener_fd, READ)
    poller.register(wakeup_fd, READ)
    sweep = DeadlineSweep()
    try:
        while not stop.is_set():
            events = poller.poll(SWEEP_INTERVAL)
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
        poller.close()
