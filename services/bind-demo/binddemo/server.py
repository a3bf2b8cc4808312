"""The demo's one loop: three TCP listeners and three UDP sockets in one selector.

Every answer is a single short line, sent at once and followed by a close
(TCP) or nothing (UDP). Such a line always fits an empty socket send buffer,
so the blocking `sendall` on a fresh connection cannot stall the loop.
"""

from __future__ import annotations

import logging
import selectors
import socket

from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener, udp_socket

from .plan import Bind
from .protocol import reply

log = logging.getLogger("binddemo")
MAX_DATAGRAM = 65507


def open_sockets(binds: list[Bind]) -> list[tuple[Bind, str, socket.socket]]:
    """A TCP listener and a UDP socket for every bind, each bound exactly as planned."""
    opened: list[tuple[Bind, str, socket.socket]] = []
    try:
        for bind in binds:
            opened.append((bind, "tcp", tcp_listener(bind.host, bind.port)))
            opened.append((bind, "udp", udp_socket(bind.host, bind.port)))
    except OSError:
        for _bind, _proto, sock in opened:
            sock.close()
        raise
    return opened


def serve(sockets: list[tuple[Bind, str, socket.socket]], stop: StopSignal) -> None:
    """Answer every connection and datagram until `stop` is set."""
    with selectors.DefaultSelector() as selector:
        for bind, proto, sock in sockets:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, (bind, proto))
        selector.register(stop.wakeup_fileno(), selectors.EVENT_READ, None)
        while not stop.is_set():
            for key, _events in selector.select():
                if key.data is None:
                    continue
                bind, proto = key.data
                try:
                    (_answer_tcp if proto == "tcp" else _answer_udp)(bind, key.fileobj)
                except OSError as exc:  # one peer's trouble never stops the demo
                    log.warning("%s %s: %s", proto, bind.label, exc)


def _answer_tcp(bind: Bind, listener: socket.socket) -> None:
    try:
        conn, peer = listener.accept()
    except (BlockingIOError, ConnectionAbortedError):
        return
    with conn:
        conn.settimeout(2.0)
        local = conn.getsockname()
        conn.sendall(reply(bind.label, "tcp", peer, local))
        conn.shutdown(socket.SHUT_WR)
    log.info("tcp bind=%s local=%s:%d answered %s:%d", bind.label, *local, *peer)


def _answer_udp(bind: Bind, sock: socket.socket) -> None:
    for _ in range(64):
        try:
            _data, peer = sock.recvfrom(MAX_DATAGRAM)
        except BlockingIOError:
            return
        except ConnectionRefusedError:  # ICMP from an earlier reply's peer: not our concern
            continue
        # For a wildcard bind the arrival address is unknown without IP_PKTINFO: leave it out.
        local = sock.getsockname() if bind.host != "0.0.0.0" else None
        sock.sendto(reply(bind.label, "udp", peer, local), peer)
        log.info("udp bind=%s answered %s:%d", bind.label, *peer)
