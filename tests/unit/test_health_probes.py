"""The services' health probes against real loopback servers: what they accept, what they refuse,
and that they speak from the probes' own address (which the servers leave out of their logs)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from socketlab_common import probe


@contextmanager
def one_shot_server(reply: bytes) -> Iterator[tuple[int, dict]]:
    """A server on 127.0.0.1 that answers its first connection with `reply`; yields (port, what it saw)."""
    seen: dict = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def serve() -> None:
            conn, peer = listener.accept()
            with conn:
                seen["peer"] = peer
                conn.settimeout(5)
                conn.sendall(reply)
                try:
                    seen["data"] = conn.recv(1024)
                except OSError:
                    seen["data"] = b""

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield listener.getsockname()[1], seen
        thread.join(5)


def test_http_probe_accepts_200_from_the_probe_address() -> None:
    with one_shot_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") as (port, seen):
        probe.probe_http(port)
    assert probe.is_probe(seen["peer"])
    assert seen["data"].startswith(b"HEAD / HTTP/1.1\r\n")


def test_http_probe_refuses_an_error_status() -> None:
    with one_shot_server(b"HTTP/1.1 503 Service Unavailable\r\n\r\n") as (port, _), pytest.raises(OSError):
        probe.probe_http(port)


def test_ftp_probe_wants_the_greeting_then_quits() -> None:
    with one_shot_server(b"220 socketlab FTP\r\n") as (port, seen):
        probe.probe_ftp(port)
    assert probe.is_probe(seen["peer"]) and seen["data"] == b"QUIT\r\n"


def test_ftp_probe_refuses_a_busy_server() -> None:
    with one_shot_server(b"421 Too many connections\r\n") as (port, _), pytest.raises(OSError):
        probe.probe_ftp(port)


def test_the_command_line_says_unhealthy_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    assert probe.main(["http", str(port)]) == 1  # nothing listens there any more
    assert capsys.readouterr().err.startswith("unhealthy:")
    assert probe.main(["gopher", "70"]) == 2
