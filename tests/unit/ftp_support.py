"""The threaded FTP server on loopback for unit tests: start one on a temporary library, talk to it."""

from __future__ import annotations

import ftplib
import io
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from ftpserver.config import FtpConfig
from ftpserver.server import FtpServer
from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener

USER, PASSWORD = "alice", "s3cret"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Running:
    def __init__(self, root: Path, port: int, stop: StopSignal, thread: threading.Thread, server: FtpServer) -> None:
        self.root, self.port, self.stop, self.thread, self.server = root, port, stop, thread, server

    def ftp(self, user: str = USER, password: str = PASSWORD) -> ftplib.FTP:
        client = ftplib.FTP(timeout=10)
        client.connect("127.0.0.1", self.port)
        client.login(user, password)
        return client

    def raw(self, source: str = "127.0.0.1") -> tuple[socket.socket, io.BufferedReader]:
        """A raw control connection (from `source`, another loopback address if need be), greeting read."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10, source_address=(source, 0))
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220")
        return sock, reader


@pytest.fixture(name="start")
def start_fixture(tmp_path: Path) -> Iterator[Callable[..., Running]]:
    servers: list[Running] = []

    def _start(**overrides) -> Running:
        base = random.randrange(40000, 60000, 50)
        config = FtpConfig(root=str(tmp_path), users={USER: PASSWORD}, pasv_ports=range(base, base + 50),
                           idle_timeout=30, data_timeout=5)
        config = replace(config, **overrides)
        listener = tcp_listener("127.0.0.1", 0)
        stop = StopSignal()
        server = FtpServer(config, stop)
        thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
        thread.start()
        running = Running(tmp_path, listener.getsockname()[1], stop, thread, server)
        running.listener = listener
        servers.append(running)
        return running

    yield _start
    for running in servers:
        running.stop.set()
        running.thread.join(5)
        running.listener.close()
        running.stop.close()
        assert not running.thread.is_alive()


def command(sock: socket.socket, reader: io.BufferedReader, line: bytes) -> bytes:
    sock.sendall(line + b"\r\n")
    return reader.readline()




def login(sock: socket.socket, reader: io.BufferedReader, user: str = USER, password: str = PASSWORD) -> bytes:
    """USER and PASS on a raw connection; the reply to PASS."""
    assert command(sock, reader, f"USER {user}".encode()).startswith(b"331")
    return command(sock, reader, f"PASS {password}".encode())


def epsv_port(reply: bytes) -> int:
    """The port of a ``229 Entering Extended Passive Mode (|||port|)`` reply."""
    assert reply.startswith(b"229"), reply
    return int(reply.split(b"|||")[1].split(b"|")[0])
