"""Health probes run inside service containers: ``python3 -m socketlab_common.probe``.

``tcp PORT`` succeeds once something accepts connections on 127.0.0.1:PORT
(connect only: the iterative echo may be busy with another client and still
be healthy). ``udp-echo PORT`` sends a datagram and expects it back.
``chat PORT`` sends the chat room's bare heartbeat and expects its answer
(both from `wire.chat`, the room's own codec). ``http PORT`` expects 200 to
``HEAD /``; ``ftp PORT`` expects the 220 greeting, then QUITs.

Every probe speaks from PROBE_SOURCE, a loopback address of its own: the
servers leave connections from it out of their logs (`is_probe`) and
`socketlab capture` leaves its packets out of captures, so a learner's log
and pcap hold the learner's traffic, not a check every two seconds.
"""

from __future__ import annotations

import socket
import sys

from .wire import chat

TIMEOUT = 2.0
PROBE_SOURCE = "127.0.0.2"
"""Where health probes come from (Linux answers for all of 127.0.0.0/8 on lo): not 127.0.0.1, which is the user's."""


def is_probe(peer: tuple | str | None) -> bool:
    """True for a peer address (or (ip, port)) that is a health probe: log nothing for it."""
    host = peer[0] if isinstance(peer, tuple) else peer
    return host == PROBE_SOURCE


def probe_connection(host: str, port: int, timeout: float = TIMEOUT) -> socket.socket:
    """A TCP connection to (host, port) from PROBE_SOURCE."""
    return socket.create_connection((host, port), timeout=timeout, source_address=(PROBE_SOURCE, 0))


def probe_datagram_socket(timeout: float = TIMEOUT) -> socket.socket:
    """A UDP socket bound to PROBE_SOURCE."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    sock.bind((PROBE_SOURCE, 0))
    return sock


def probe_tcp(port: int, host: str = "127.0.0.1") -> None:
    with probe_connection(host, port):
        pass


def probe_udp_echo(port: int, host: str = "127.0.0.1") -> None:
    with probe_datagram_socket() as sock:
        sock.sendto(b"health", (host, port))
        data, _ = sock.recvfrom(64)
    if data != b"health":
        raise OSError(f"unexpected reply {data!r}")


def probe_chat(port: int, host: str = "127.0.0.1") -> None:
    """The room's bare heartbeat (a ping that involves no membership) must get PONG."""
    with probe_datagram_socket() as sock:
        sock.sendto(chat.encode_request(chat.Heartbeat(None)), (host, port))
        data, _ = sock.recvfrom(chat.RECV_BUFFER)
        if data != chat.PONG:
            raise OSError(f"unexpected reply {data!r}")


def probe_http(port: int, host: str = "127.0.0.1") -> None:
    with probe_connection(host, port) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: healthcheck\r\nConnection: close\r\n\r\n")
        status = sock.recv(64).split(b"\r\n", 1)[0]
    if not status.startswith(b"HTTP/1.1 200 "):
        raise OSError(f"status {status!r}")


def probe_ftp(port: int, host: str = "127.0.0.1") -> None:
    with probe_connection(host, port, timeout=3) as sock:
        greeting = sock.makefile("rb").readline()
        if not greeting.startswith(b"220"):
            raise OSError(f"greeting {greeting[:80]!r}")
        sock.sendall(b"QUIT\r\n")


PROBES = {"tcp": probe_tcp, "udp-echo": probe_udp_echo, "chat": probe_chat, "http": probe_http, "ftp": probe_ftp}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in PROBES:
        print(f"usage: probe {{{'|'.join(PROBES)}}} PORT [HOST]", file=sys.stderr)
        return 2
    try:
        PROBES[argv[0]](int(argv[1]), *argv[2:3])
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
