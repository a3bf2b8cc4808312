"""Creating listening sockets the way every server here needs them.

`SO_REUSEADDR` is set before `bind` so a restarted server can bind while old
connections sit in TIME_WAIT (section 1.3.4 of the notes).
"""

from __future__ import annotations

import socket

DEFAULT_BACKLOG = 1024
"""Large enough for bursts of connects in the C10K benchmark; the kernel caps it at somaxconn."""


def tcp_listener(host: str, port: int, backlog: int = DEFAULT_BACKLOG) -> socket.socket:
    """Return a bound, listening TCP socket (blocking; drivers change that)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def udp_socket(host: str, port: int) -> socket.socket:
    """Return a bound UDP socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
