"""Every concurrency model, run as the real echo program on loopback (no Docker).

The same suite runs against each model: correctness (RFC 862 echo,
half-close, payloads larger than the socket buffers in both directions at
once), concurrency (100 clients, a slow reader that must not stall others),
robustness (garbage and resets) and lifecycle (SIGTERM within 2 s, no leaked
descriptors). Then the models' own lessons: fork leaves no zombies, select
refuses clients past FD_SETSIZE without crashing.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from socketlab_common.wire.echo import tcp_roundtrip

from models import MODELS

from .echo_process import echo_server, wait_until

CONCURRENT_MODELS = [m for m in MODELS if m != "iterative"]
HOST = "127.0.0.1"
MIB = 1 << 20


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=timeout)


def connect_small_buffers(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(10)
    sock.connect((HOST, port))
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def reset_close(sock: socket.socket) -> None:
    """Close with RST instead of FIN (SO_LINGER on, zero timeout): an abrupt vanish."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("model", MODELS)
def test_echoes_every_byte_and_closes_after_half_close(model: str) -> None:
    with echo_server(model) as server, connect(server.port) as sock:
        sock.sendall(b"hello\n")
        assert recv_exactly(sock, 6) == b"hello\n"
        sock.sendall(bytes(range(256)))
        sock.shutdown(socket.SHUT_WR)
        assert recv_exactly(sock, 257) == bytes(range(256))  # then EOF: nothing more
        assert server.proc.poll() is None


@pytest.mark.parametrize("model", MODELS)
def test_data_and_fin_sent_together_are_both_seen(model: str) -> None:
    """The FIN queued right behind the data must end the echo, not hang it.

    Edge-triggered epoll stops reading at a short read only when the event
    carried no EPOLLRDHUP; a loop that stopped anyway would leave the FIN
    unread and the client waiting for EOF until its timeout.
    """
    with echo_server(model) as server:
        for size in (1, 1000, 70_000):
            for _ in range(40):
                with connect(server.port, timeout=5.0) as sock:
                    payload = os.urandom(size)
                    sock.sendall(payload)
                    sock.shutdown(socket.SHUT_WR)
                    assert recv_exactly(sock, size + 1) == payload  # and EOF right after


@pytest.mark.parametrize("model", MODELS)
def test_payload_larger_than_socket_buffers_in_both_directions(model: str) -> None:
    payload = os.urandom(4 * MIB)
    with echo_server(model) as server:
        assert tcp_roundtrip(HOST, server.port, payload) == payload


@pytest.mark.parametrize("model", CONCURRENT_MODELS)
def test_hundred_concurrent_clients(model: str) -> None:
    payloads = [os.urandom(16 * 1024) for _ in range(100)]
    with echo_server(model) as server, ThreadPoolExecutor(100) as pool:
        echoed = list(pool.map(lambda p: tcp_roundtrip(HOST, server.port, p), payloads))
    assert echoed == payloads


@pytest.mark.parametrize("model", CONCURRENT_MODELS)
def test_slow_reader_does_not_stall_other_clients(model: str) -> None:
    """A client that sends a lot and reads nothing fills its buffers; others are still served."""
    payload = os.urandom(32 * MIB)  # far more than every buffer on the path can hold
    with echo_server(model) as server, connect_small_buffers(server.port) as slow:
        sent = threading.Event()

        def flood() -> None:
            slow.sendall(payload)  # blocks once the server stops reading this client
            sent.set()

        flooder = threading.Thread(target=flood)
        flooder.start()
        try:
            assert not sent.wait(0.5), "the server must stop reading a client that does not read"
            assert tcp_roundtrip(HOST, server.port, b"still served", timeout=10) == b"still served"
        finally:
            echoed = recv_exactly(slow, len(payload))  # now read: the flood completes
            flooder.join()
        assert echoed == payload


@pytest.mark.parametrize("model", MODELS)
def test_garbage_resets_and_vanishing_clients_do_not_stop_the_server(model: str) -> None:
    with echo_server(model) as server:
        for _ in range(20):
            sock = connect(server.port)
            sock.sendall(os.urandom(3000))
            reset_close(sock)
        for _ in range(20):
            connect(server.port).close()  # connect and vanish without a byte
        half_read = connect(server.port)
        half_read.sendall(os.urandom(MIB))  # leave with unread replies in flight
        reset_close(half_read)
        assert tcp_roundtrip(HOST, server.port, b"after the abuse", timeout=10) == b"after the abuse"
        assert server.proc.poll() is None


@pytest.mark.parametrize("model", MODELS)
def test_sigterm_stops_the_server_within_two_seconds(model: str) -> None:
    with echo_server(model) as server, connect(server.port) as idle:
        idle.sendall(b"x")
        assert recv_exactly(idle, 1) == b"x"  # the connection is being served right now
        assert server.terminate(timeout=2.0) == 0
        assert "stopped" in server.log()


@pytest.mark.parametrize("model", MODELS)
def test_server_releases_descriptors_of_closed_connections(model: str) -> None:
    with echo_server(model) as server:
        assert tcp_roundtrip(HOST, server.port, b"warm-up") == b"warm-up"
        baseline = server.open_fds()
        for _ in range(50):
            assert tcp_roundtrip(HOST, server.port, b"ping") == b"ping"
        assert wait_until(lambda: server.open_fds() <= baseline, timeout=5), (
            f"{server.open_fds()} descriptors open, {baseline} before"
        )


def test_fork_model_leaves_no_zombies_after_a_thousand_connections() -> None:
    with echo_server("fork") as server:
        for i in range(1000):
            with connect(server.port) as sock:
                sock.sendall(b"%d" % i)
                assert recv_exactly(sock, len(b"%d" % i)) == b"%d" % i
        assert wait_until(lambda: not server.children(), timeout=10), server.children()


def test_iterative_model_serves_one_client_at_a_time() -> None:
    with echo_server("iterative") as server, connect(server.port) as first, connect(server.port) as second:
        first.sendall(b"first")
        assert recv_exactly(first, 5) == b"first"
        second.sendall(b"second")
        second.settimeout(0.3)
        with pytest.raises(TimeoutError):
            second.recv(6)  # queued in the backlog until the first client leaves
        first.close()
        second.settimeout(10)
        assert recv_exactly(second, 6) == b"second"


def test_select_refuses_clients_past_fd_setsize_and_keeps_serving() -> None:
    clients: list[socket.socket] = []
    with echo_server("select") as server:
        try:
            for _ in range(1100):
                clients.append(connect(server.port))
            served = refused = 0
            for sock in clients:
                try:
                    sock.sendall(b"?")
                    reply = sock.recv(1)
                except (ConnectionResetError, BrokenPipeError):
                    reply = b""
                if reply == b"?":
                    served += 1
                else:
                    refused += 1
            assert 1000 < served < 1024
            assert refused == 1100 - served
            assert "FD_SETSIZE" in server.log()
        finally:
            for sock in clients:
                sock.close()
        assert tcp_roundtrip(HOST, server.port, b"still alive", timeout=10) == b"still alive"
        assert server.proc.poll() is None


def test_udp_echo_returns_each_datagram_to_its_sender() -> None:
    with echo_server(None, udp=True) as server:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b:
            for sock in (a, b):
                sock.settimeout(5)
            a.sendto(b"from a", (HOST, server.port))
            b.sendto(os.urandom(60000), (HOST, server.port))
            assert a.recvfrom(100)[0] == b"from a"
            assert len(b.recvfrom(65535)[0]) == 60000
        assert server.terminate(timeout=2.0) == 0
