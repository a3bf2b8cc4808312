"""The load generator against a real echo server on loopback (the epoll driver in a thread)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from echo.protocol import EchoSession
from socketlab_clients import loadgen
from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener

from models import get_driver


@pytest.fixture
def echo_server() -> Iterator[int]:
    listener = tcp_listener("127.0.0.1", 0)
    stop = StopSignal()
    thread = threading.Thread(target=get_driver("epoll"), args=(listener, EchoSession, stop), daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def run(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    assert loadgen.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_limits_reports_descriptors_ports_and_cpus(capsys: pytest.CaptureFixture) -> None:
    limits = run(capsys, "limits")
    assert limits["nofile"] > 0 and limits["ports"] > 0 and limits["cpus"] >= 1


@pytest.mark.parametrize("size", [1024, 100 * 1024])
def test_closed_loop_echo_with_idle_connections(echo_server: int, capsys: pytest.CaptureFixture, size: int) -> None:
    report = run(capsys, "echo", "127.0.0.1", str(echo_server), "--connections", "4", "--size", str(size),
                 "--duration", "0.3", "--idle", "20", "--workers", "2", "--grace", "1")
    assert report["requests"] > 0 and report["errors"] == 0
    assert report["connections"] == 4
    assert report["idle_held"] == 20 and report["idle_refused"] == 0
    assert 0 < report["p50_ms"] <= report["p99_ms"] <= report["max_ms"] * 1.011
    assert report["mib_per_s"] == pytest.approx(report["requests_per_s"] * size / (1 << 20))


def test_c10k_mode_holds_sparse_connections(echo_server: int, capsys: pytest.CaptureFixture) -> None:
    report = run(capsys, "c10k", "127.0.0.1", str(echo_server), "--connections", "50", "--interval", "0.2",
                 "--duration", "0.5", "--grace", "1")
    assert report["connections"] == 50 and report["errors"] == 0 and report["refused"] == 0
    assert report["requests"] >= 50


def test_refused_connections_are_counted_not_raised(capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = run(capsys, "c10k", "127.0.0.1", str(port), "--connections", "5", "--duration", "0.1",
                 "--connect-timeout", "2")
    assert report["refused"] == 5 and report["connections"] == 0


def test_a_server_that_closes_counts_as_errors(capsys: pytest.CaptureFixture) -> None:
    listener = tcp_listener("127.0.0.1", 0)
    stop = threading.Event()

    def close_everyone() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                listener.accept()[0].close()
            except TimeoutError:
                continue

    thread = threading.Thread(target=close_everyone, daemon=True)
    thread.start()
    try:
        report = run(capsys, "echo", "127.0.0.1", str(listener.getsockname()[1]), "--connections", "3",
                     "--duration", "0.3", "--grace", "0.5")
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert report["errors"] == 3 and report["connections"] == 0


def test_connections_never_started_by_the_deadline_count_as_refused() -> None:
    """A server that stops accepting fills its backlog; connects past it neither finish nor fail.

    Those still in flight at the deadline and those never started (past MAX_CONNECTING) are all
    reported, so connected + failed is always what was asked for.
    """
    with socket.socket() as stalled:  # listens, never accepts: its queue holds a couple of connections
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(1)
        count = loadgen.MAX_CONNECTING + 100
        done, failed = loadgen.open_connections(stalled.getsockname(), count, time.monotonic() + 1.0)
        loadgen._close_all(done)
    assert failed > loadgen.MAX_CONNECTING and len(done) + failed == count


def test_a_fixed_number_of_requests_is_counted_and_every_byte_verified(echo_server: int,
                                                                        capsys: pytest.CaptureFixture) -> None:
    report = run(capsys, "echo", "127.0.0.1", str(echo_server), "--connections", "3", "--size", "5000",
                 "--requests", "301", "--workers", "2", "--duration", "30")
    assert (report["requests"], report["bytes"], report["bytes_verified"]) == (301, 301 * 5000, 301 * 5000)
    assert report["mismatches"] == 0 and report["errors"] == 0


def test_an_echo_with_one_wrong_byte_is_a_mismatch(capsys: pytest.CaptureFixture) -> None:
    """The warm-up byte comes back intact; every later echo has its last byte's low bit flipped."""
    listener = tcp_listener("127.0.0.1", 0)
    listener.settimeout(0.1)
    stop = threading.Event()
    servers: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the load generator closes with RST
            while data := conn.recv(65536):
                conn.sendall(data if data == b"?" else data[:-1] + bytes([data[-1] ^ 1]))

    def accept() -> None:
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except TimeoutError:
                continue
            conn.settimeout(None)
            servers.append(threading.Thread(target=serve, args=(conn,)))
            servers[-1].start()

    acceptor = threading.Thread(target=accept)
    acceptor.start()
    try:
        report = run(capsys, "echo", "127.0.0.1", str(listener.getsockname()[1]), "--connections", "2",
                     "--size", "100", "--requests", "50", "--workers", "1", "--duration", "10", "--grace", "1")
    finally:
        stop.set()
        acceptor.join(5)
        for server in servers:
            server.join(5)
        listener.close()
    assert report["mismatches"] == 2 and report["errors"] == 2 and report["requests"] == 0
    assert report["bytes_verified"] < 2 * 100
