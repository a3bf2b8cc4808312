"""The echo check: send bytes, read the same bytes back (TCP until EOF, UDP one datagram).

Used by `echo-check` on the client hosts, by the containers' UDP healthcheck,
and by the tests; a correct echo server of any model must pass it.
"""

from __future__ import annotations

import socket
import threading

CHUNK = 64 * 1024


def tcp_roundtrip(host: str, port: int, payload: bytes, timeout: float = 30.0) -> bytes:
    """Send `payload`, half-close, and return everything the server sent back until EOF.

    Sending runs in its own thread while this one receives: a payload larger
    than the socket buffers would otherwise deadlock against any correct echo
    server, which stops reading while its replies are not being read.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        failure: list[BaseException] = []

        def send_all() -> None:
            try:
                view = memoryview(payload)
                for start in range(0, len(view), CHUNK):
                    sock.sendall(view[start:start + CHUNK])
                sock.shutdown(socket.SHUT_WR)
            except BaseException as exc:  # reported by the caller
                failure.append(exc)

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        received = bytearray()
        while chunk := sock.recv(CHUNK):
            received += chunk
        sender.join(timeout)
        if failure:
            raise failure[0]
        return bytes(received)


def udp_roundtrip(host: str, port: int, payload: bytes, timeout: float = 2.0) -> bytes:
    """Send one datagram and return the first datagram that comes back (TimeoutError if none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, (host, port))
        data, _ = sock.recvfrom(max(len(payload), 1) + 64)
        return data
