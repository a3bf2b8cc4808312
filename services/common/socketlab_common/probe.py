"""Health probes run inside service containers: ``python3 -m socketlab_common.probe``.

``tcp PORT`` succeeds once something accepts connections on 127.0.0.1:PORT
(connect only: the iterative echo may be busy with another client and still
be healthy). ``udp-echo PORT`` sends a datagram and expects it back.
``chat PORT`` sends the chat room's bare heartbeat and expects its answer
(both from `wire.chat`, the room's own codec).
"""

from __future__ import annotations

import socket
import sys

from .wire import chat
from .wire.echo import udp_roundtrip

TIMEOUT = 2.0


def probe_tcp(port: int, host: str = "127.0.0.1") -> None:
    with socket.create_connection((host, port), timeout=TIMEOUT):
        pass


def probe_udp_echo(port: int, host: str = "127.0.0.1") -> None:
    data = udp_roundtrip(host, port, b"health", TIMEOUT)
    if data != b"health":
        raise OSError(f"unexpected reply {data!r}")


def probe_chat(port: int, host: str = "127.0.0.1") -> None:
    """The room's bare heartbeat (a ping that involves no membership) must get PONG."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.sendto(chat.encode_request(chat.Heartbeat(None)), (host, port))
        data, _ = sock.recvfrom(chat.RECV_BUFFER)
        if data != chat.PONG:
            raise OSError(f"unexpected reply {data!r}")


PROBES = {"tcp": probe_tcp, "udp-echo": probe_udp_echo, "chat": probe_chat}


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
