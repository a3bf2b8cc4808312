"""epoll, edge-triggered: told once per change, so read and write until EAGAIN.

Same kernel ready list as level-triggered epoll, but a socket is reported
only when its state changes (new data arrived, buffer space freed). Each
socket is registered once for both directions and never modified again,
which saves an `epoll_ctl` per reply. The price is discipline: every wake-up
must drain the socket until the kernel says EAGAIN, or the rest of the data
waits for an edge that never comes. "Until EAGAIN" costs one extra `recv`
per wake-up, so the loop applies the rule of `man 7 epoll`: a read shorter
than asked proves the receive queue empty at that instant, and anything
arriving later raises a new edge. The rule only holds for data: a FIN that
arrived with the data raises no edge of its own, so a wake-up whose event
carries EPOLLRDHUP (or HUP/ERR) drains to EOF, as do new connections and
connections resumed from `ready`, which have no edge to trust. To stay fair, a busy connection is
served a bounded number of rounds per wake-up and then put on `ready` to be
resumed on the next turn (with a zero timeout), instead of starving others.
The listener stays level-triggered: after EMFILE we must be told again.
"""

from __future__ import annotations

import select
import socket

from socketlab_common.lifecycle import StopSignal
from socketlab_common.session import SessionFactory

from .accepting import accept_ready
from .connection import RECV_SIZE, SWEEP_INTERVAL, Connection, DeadlineSweep

ROUNDS_PER_WAKEUP = 16
EDGE = select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET
HANGUP = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR


def serve(listener: socket.socket, new_session: SessionFactory, stop: StopSignal) -> None:
    listener.setblocking(False)
    listener_fd, wakeup_fd = listener.fileno(), stop.wakeup_fileno()
    conns: dict[int, Connection] = {}
    ready: set[int] = set()
    poller = select.epoll()
    poller.register(listener_fd, select.EPOLLIN)
    poller.register(wakeup_fd, select.EPOLLIN)
    sweep = DeadlineSweep()
    try:
        while not stop.is_set():
            events = poller.poll(0 if ready else SWEEP_INTERVAL)
            touched: list[Connection] = []
            edges: set[int] = set()
            for fd, event in events:
                if fd == listener_fd:
                    for sock, peer in accept_ready(listener):
                        conn = Connection(sock, new_session(peer), peer)
                        conns[conn.fileno] = conn
                        poller.register(conn.fileno, EDGE)
                        ready.add(conn.fileno)  # data may have arrived before registering
                elif fd != wakeup_fd:
                    ready.add(fd)
                    if not event & HANGUP:
                        edges.add(fd)
            for fd in list(ready):
                conn = conns[fd]
                if not _pump(conn, stop_at_short_read=fd in edges):
                    ready.discard(fd)
                touched.append(conn)
            touched += sweep.expired(conns)
            for conn in touched:
                if conn.finished and conns.pop(conn.fileno, None):
                    ready.discard(conn.fileno)
                    poller.unregister(conn.fileno)
                    conn.close()
    finally:
        for conn in conns.values():
            conn.close()
        poller.close()


def _pump(conn: Connection, stop_at_short_read: bool) -> bool:
    """Read and write until the socket is drained; True if rounds ran out with work possibly left."""
    for _ in range(ROUNDS_PER_WAKEUP):
        conn.flush()
        if not conn.wants_read:
            return False
        received = conn.read_once()
        if not received or (stop_at_short_read and received < RECV_SIZE):
            conn.flush()
            return False
    return True
