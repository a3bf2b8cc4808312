"""The demo's one loop: three TCP listeners and three UDP sockets in one selector.

Every answer is a single short line, sent at once and followed by a close
(TCP) or nothing (UDP). Such a line always fits an empty socket send buffer,
so the blocking `sendall` on a fresh connection cannot stall the loop.
"""

from __future__ import annotations

import logging
import selectors
import socket
import struct

from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener, udp_socket
from socketlab_common.probe import is_probe

from .plan import Bind
from .protocol import reply

log = logging.getLogger("binddemo")
MAX_DATAGRAM = 65507
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux's value; Python's socket module does not export it
PKTINFO = struct.Struct("=i4s4s")


def open_sockets(binds: list[Bind]) -> list[tuple[Bind, str, socket.socket]]:
    """A TCP listener and a UDP socket for every bind, each bound exactly as planned."""
    opened: list[tuple[Bind, str, socket.socket]] = []
    try:
        for bind in binds:
            opened.append((bind, "tcp", tcp_listener(bind.host, bind.port)))
            udp = udp_socket(bind.host, bind.port)
            opened.append((bind, "udp", udp))
            enable_pktinfo(udp)
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
    if not is_probe(peer):
        log.info("tcp bind=%s local=%s:%d answered %s:%d", bind.label, *local, *peer)


def _answer_udp(bind: Bind, sock: socket.socket) -> None:
    for _ in range(64):
        try:
            _data, ancdata, _flags, peer = sock.recvmsg(MAX_DATAGRAM, socket.CMSG_SPACE(PKTINFO.size))
        except BlockingIOError:
            return
        except ConnectionRefusedError:  # ICMP from an earlier reply's peer: not our concern
            continue
        arrived = arrival_address(ancdata)
        local = (arrived, sock.getsockname()[1]) if arrived else sock.getsockname()
        answer = reply(bind.label, "udp", peer, local)
        if arrived and bind.host == "0.0.0.0":
            # Reply *from* the address the question came to: on a multi-homed host the kernel
            # would otherwise pick the source by route, and a client that connect()ed its UDP
            # socket to that address would drop an answer from any other.
            sock.sendmsg([answer], [(socket.IPPROTO_IP, IP_PKTINFO, PKTINFO.pack(0, socket.inet_aton(arrived),
                                                                                 bytes(4)))], 0, peer)
        else:
            sock.sendto(answer, peer)
        if not is_probe(peer):
            log.info("udp bind=%s local=%s:%d answered %s:%d", bind.label, *local, *peer)


def enable_pktinfo(sock: socket.socket) -> None:
    """Ask the kernel to tell, with each datagram, the local address it was sent to."""
    sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)


def arrival_address(ancdata: list[tuple[int, int, bytes]]) -> str | None:
    """The destination address of a datagram, from its IP_PKTINFO control message (pure).

    struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }:
    ``ipi_addr`` is the address in the packet's header, the one the client dialled.
    """
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= PKTINFO.size:
            _ifindex, _spec_dst, addr = PKTINFO.unpack_from(data)
            return socket.inet_ntoa(addr)
    return None
