"""UDP echo (notes 1.2): each datagram is sent back to its source address.

UDP has no connection and no EOF: the server's only knowledge of a peer is
the source address of a datagram. One socket serves everyone, so a single
loop is the natural model. Datagrams longer than `MAX_DATAGRAM` would be
truncated by `recvfrom`; we size the buffer for the largest UDP payload.
"""

from __future__ import annotations

import logging
import select
import socket

from socketlab_common.lifecycle import StopSignal

MAX_DATAGRAM = 65507
"""Largest UDP payload over IPv4 (65535 - 8 UDP header - 20 IP header)."""

log = logging.getLogger("echo.udp")


def serve_udp(sock: socket.socket, stop: StopSignal) -> None:
    sock.setblocking(False)
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    poller.register(stop.wakeup_fileno(), select.POLLIN)
    while not stop.is_set():
        for fd, _event in poller.poll():
            if fd == sock.fileno():
                _echo_ready(sock)


def _echo_ready(sock: socket.socket, batch: int = 64) -> None:
    for _ in range(batch):
        try:
            data, addr = sock.recvfrom(MAX_DATAGRAM)
        except BlockingIOError:
            return
        except OSError as exc:  # e.g. ECONNREFUSED from an earlier ICMP port unreachable
            log.debug("recvfrom: %s", exc)
            continue
        try:
            sock.sendto(data, addr)
        except OSError as exc:  # full buffer or unreachable peer: UDP may drop, never block
            log.debug("sendto %s: %s", addr, exc)
