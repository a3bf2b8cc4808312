"""The notes' WebServer class over real loopback sockets, on several concurrency models."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from webserver import WebServer
from webserver.handler import Lingering, Timeouts

from ..lingering_client import CASES, FOREVER_CAP, refused_while_sending
from .web_support import BIG_SIZE, INDEX, STYLE, make_root

MODELS = ["select", "poll", "epoll", "thread"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path)


def running(root: Path, model: str, timeouts: Timeouts | None = None) -> Iterator[WebServer]:
    server = WebServer(host="127.0.0.1", port=0, html=str(root), model=model, timeouts=timeouts, access_log=None)
    thread = threading.Thread(target=server.start)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)
        assert not thread.is_alive()


@pytest.fixture(params=MODELS)
def server(request: pytest.FixtureRequest, root: Path) -> Iterator[WebServer]:
    yield from running(root, request.param, Timeouts(header=1.0, keepalive=1.5, send=5))


def wait_closed(sock: socket.socket, within: float) -> float:
    """Seconds until the server closes `sock` (recv returns b""), failing after `within`."""
    start = time.monotonic()
    sock.settimeout(within)
    while sock.recv(65536):
        pass
    return time.monotonic() - start


def test_notes_api_defaults() -> None:
    server = WebServer(host="127.0.0.1", port=0, html=".")
    try:
        assert server.model == "select" and server.port > 0
    finally:
        server.close()


def test_keep_alive_reuses_one_connection(server: WebServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for target, body in [("/", INDEX), ("/style.css", STYLE), ("/", INDEX)]:
            conn.request("GET", target)
            response = conn.getresponse()
            assert response.status == 200 and response.read() == body
        local = conn.sock.getsockname()
        conn.request("GET", "/nope")
        response = conn.getresponse()
        response.read()
        assert response.status == 404 and conn.sock.getsockname() == local
    finally:
        conn.close()


def test_big_file_and_slow_reader_do_not_stall_others(server: WebServer, root: Path) -> None:
    slow = socket.create_connection(("127.0.0.1", server.port))
    slow.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" * 3)   # and then read nothing for a while
    try:
        def fetch(target: str) -> bytes:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            try:
                conn.request("GET", target)
                return conn.getresponse().read()
            finally:
                conn.close()

        with ThreadPoolExecutor(8) as pool:
            bodies = list(pool.map(fetch, ["/style.css"] * 16 + ["/big.bin"] * 4))
        assert bodies[:16] == [STYLE] * 16
        assert bodies[16:] == [(root / "big.bin").read_bytes()] * 4
        slow.settimeout(10)
        received = 0
        while received < 3 * BIG_SIZE:
            chunk = slow.recv(1 << 20)
            assert chunk
            received += len(chunk)
    finally:
        slow.close()


def test_slowloris_is_cut_off_and_others_still_served(server: WebServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHo")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/style.css")
        assert conn.getresponse().read() == STYLE
        conn.close()
        for piece in (b"s", b"t", b":"):   # trickling bytes does not extend the header deadline
            time.sleep(0.2)
            try:
                slow.sendall(piece)
            except OSError:
                break
        assert wait_closed(slow, within=5) < 5


def test_idle_keep_alive_connection_times_out(server: WebServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
        sock.settimeout(10)
        data = b""
        while not data.endswith(STYLE):
            data += sock.recv(65536)
        assert wait_closed(sock, within=6) < 6


def test_pipelined_requests_over_a_socket(server: WebServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\nHEAD / HTTP/1.1\r\nHost: t\r\n\r\n"
                     b"GET /img/a.png HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        sock.settimeout(10)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert data.index(STYLE) < data.index(b"image/png")


# -- lingering close, on every model the web service can run on --------------------------------

LINGER_MODELS = ["select", "poll", "epoll", "epoll-et", "asyncio", "thread", "iterative"]
"""Every driver but fork, which must not fork this threaded test process; it shares iterative's blocking code."""


@pytest.fixture(params=LINGER_MODELS)
def lingering_server(request: pytest.FixtureRequest, root: Path) -> Iterator[WebServer]:
    server = WebServer(host="127.0.0.1", port=0, html=str(root), model=request.param, access_log=None,
                       lingering=Lingering(time=5, timeout=2, max_bytes=16 * 1024 * 1024))
    thread = threading.Thread(target=server.start)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)
        assert not thread.is_alive()


@pytest.mark.parametrize("case", ["long-line", "big-body"])
def test_client_still_sending_reads_the_whole_refusal(lingering_server: WebServer, case: str) -> None:
    """A 100 KB request line (414) and a 10 MB body (413): the late bytes are read and dropped, not reset."""
    outcome = refused_while_sending("127.0.0.1", lingering_server.port, *CASES[case], timeout=30)
    assert outcome["send_error"] is None, outcome
    assert outcome["status"] == (414 if case == "long-line" else 413), outcome
    assert outcome["complete"] and outcome["clean_eof"] and outcome["connection"] == "close", outcome


def test_client_sending_forever_is_cut_off_at_the_byte_limit(lingering_server: WebServer) -> None:
    first, _rest, sndbuf = CASES["big-body"]
    outcome = refused_while_sending("127.0.0.1", lingering_server.port, first, b"", sndbuf, timeout=30,
                                    forever=True)
    assert outcome["send_error"] is not None, outcome            # cut off (reset), long before the cap
    assert 16 * 1024 * 1024 <= outcome["late_sent"] < FOREVER_CAP // 4, outcome


def test_a_trickling_client_is_cut_off_at_the_lingering_time(root: Path) -> None:
    for model in ("select", "thread"):   # the two mechanisms: readiness loop and blocking flow
        server = WebServer(host="127.0.0.1", port=0, html=str(root), model=model, access_log=None,
                           lingering=Lingering(time=0.5, timeout=5))
        thread = threading.Thread(target=server.start)
        thread.start()
        try:
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                sock.sendall(b"BROKEN\r\n")
                sock.settimeout(10)
                assert sock.recv(65536).startswith(b"HTTP/1.1 400")
                deadline = time.monotonic() + 10
                with pytest.raises(OSError):   # each byte keeps lingering_timeout away; lingering_time ends it
                    while time.monotonic() < deadline:
                        sock.send(b"x")
                        time.sleep(0.05)
                assert time.monotonic() < deadline
        finally:
            server.stop()
            thread.join(10)
