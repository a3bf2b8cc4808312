"""The FTP server's second round of hardening, over real loopback sockets.

Each test here failed on the server before it: threads joined on stop,
failed logins throttled per connection and per address, a passive pool whose
425 counts its ports, REST+STOR that resumes instead of truncating, SIZE in
TYPE A, ABOR answered while the data connection stalls or never opened.
Lower bounds on time come from the configured delays; upper bounds are the
socket timeouts, far above what a correct server needs.
"""

from __future__ import annotations

import ftplib
import io
import logging
import os
import select
import socket
import threading
import time
from contextlib import ExitStack

import pytest

from .conftest import live_threads
from .ftp_support import PASSWORD, USER, command, epsv_port, login, start_fixture  # noqa: F401  (`start` fixture)

DELAY = 0.25


def test_stop_joins_every_session_thread(start) -> None:
    """Idle, mid-download (client not reading), waiting for a data connection, in a login pause: all joined."""
    before = live_threads()
    server = start(login_delay=5.0, data_timeout=60)
    (server.root / "big.bin").write_bytes(os.urandom(32 << 20))
    connections = []

    idle = server.raw()
    assert login(*idle).startswith(b"230")
    connections.append(idle)

    stuck = server.raw()
    login(*stuck)
    data = socket.create_connection(("127.0.0.1", epsv_port(command(*stuck, b"EPSV"))))
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    assert command(*stuck, b"RETR big.bin").startswith(b"150")  # ... and the client never reads
    connections.append(stuck)

    waiting = server.raw()
    login(*waiting)
    command(*waiting, b"EPSV")
    assert command(*waiting, b"RETR big.bin").startswith(b"150")  # the data connection never comes
    connections.append(waiting)

    paused = server.raw()
    command(*paused, f"USER {USER}".encode())
    paused[0].sendall(b"PASS wrong\r\n")  # answered after 5 s: the thread is in its pause
    connections.append(paused)

    assert wait_for_threads(lambda: len(live_threads() - before) >= 5)  # the acceptor and four sessions
    server.stop.set()
    server.thread.join(10)
    assert not server.thread.is_alive()
    assert live_threads() - before == set(), "serve() returned before its session threads ended"
    data.close()
    for sock, reader in connections:
        reader.close()
        sock.close()


def wait_for_threads(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# ---- login throttling ------------------------------------------------------------------------

def test_failed_logins_are_delayed_and_the_connection_closes_after_the_limit(start, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="ftp.session")
    server = start(login_delay=DELAY, max_login_attempts=3)
    sock, reader = server.raw()
    started = time.monotonic()
    for attempt in range(3):
        reply = login(sock, reader, password=f"wrong{attempt}")
        assert reply.startswith(b"530"), reply
    assert time.monotonic() - started >= 2 * DELAY  # the third wrong password took at least two delays
    assert reader.readline().startswith(b"421")
    assert reader.readline() == b""  # closed
    assert "failed login as 'alice' from 127.0.0.1 (3 of 3" in caplog.text
    reader.close()
    sock.close()


def test_parallel_wrong_passwords_from_one_address_are_answered_one_delay_apart(start) -> None:
    server = start(login_delay=DELAY)
    clients = [server.raw() for _ in range(6)]
    for sock, reader in clients:
        command(sock, reader, f"USER {USER}".encode())
    started = time.monotonic()
    for sock, _reader in clients:
        sock.sendall(b"PASS guess\r\n")
    answered = []
    for _sock, reader in clients:
        assert reader.readline().startswith(b"530")
        answered.append(time.monotonic() - started)
    # Six connections bought no parallelism: the sixth answer came six delays after the guesses.
    assert max(answered) >= 6 * DELAY * 0.95
    for sock, reader in clients:
        reader.close()
        sock.close()


def test_another_address_logs_in_while_one_is_throttled(start) -> None:
    server = start(login_delay=3.0)
    attacker = server.raw("127.0.0.1")
    command(*attacker, f"USER {USER}".encode())
    attacker[0].sendall(b"PASS guess\r\n")
    student = server.raw("127.0.0.2")
    assert login(*student).startswith(b"230")
    # The attacker's 530 is still waiting for its delay when the other address is already in.
    assert select.select([attacker[0]], [], [], 0)[0] == []
    assert attacker[1].readline().startswith(b"530")
    for sock, reader in (attacker, student):
        reader.close()
        sock.close()


def test_a_right_password_from_a_throttled_address_waits_its_turn(start) -> None:
    """An early 230 would tell a guesser which of its parallel tries was right."""
    server = start(login_delay=DELAY)
    guesser = server.raw()
    command(*guesser, f"USER {USER}".encode())
    guesser[0].sendall(b"PASS guess\r\n")
    right = server.raw()
    command(*right, f"USER {USER}".encode())
    started = time.monotonic()
    assert command(*right, f"PASS {PASSWORD}".encode()).startswith(b"230")
    assert time.monotonic() - started >= DELAY * 0.9
    assert guesser[1].readline().startswith(b"530")
    for sock, reader in (guesser, right):
        reader.close()
        sock.close()


# ---- the passive pool -----------------------------------------------------------------------

def test_a_class_holds_a_hundred_passive_ports_and_425_counts_them(start) -> None:
    # Below the ephemeral range (32768+), so no client socket of this test can hold a pool port.
    base = 21000 + os.getpid() % 60 * 100
    server = start(pasv_ports=range(base, base + 100))
    with ExitStack() as closing:
        clients = []
        for _ in range(101):
            sock, reader = server.raw()
            closing.enter_context(sock)
            closing.enter_context(reader)
            clients.append((sock, reader))
        replies = []
        for client in clients:
            login(*client)
            replies.append(command(*client, b"PASV"))
        assert [reply for reply in replies[:100] if not reply.startswith(b"227")] == []
        assert replies[100].startswith(b"425") and b"100 of 100" in replies[100], replies[100]
        assert server.server.ports.in_use == 100
        # A port comes back the moment it is abandoned (ABOR) ...
        assert command(*clients[0], b"ABOR").startswith(b"226")
        assert command(*clients[100], b"EPSV").startswith(b"229")
        # ... or its data connection is accepted.
        sock, reader = clients[1]
        port = epsv_port(command(sock, reader, b"EPSV"))
        with socket.create_connection(("127.0.0.1", port)) as data:
            assert command(sock, reader, b"LIST").startswith(b"150")
            assert wait_for_threads(lambda: server.server.ports.in_use == 99)
            data.recv(65536)
        assert reader.readline().startswith(b"226")
    assert wait_for_threads(lambda: server.server.ports.in_use == 0)


# ---- REST + STOR, SIZE in TYPE A -------------------------------------------------------------

def test_rest_then_stor_resumes_at_the_offset_byte_for_byte(start) -> None:
    server = start()
    whole = os.urandom(100_000)
    (server.root / "resume.bin").write_bytes(whole[:40_000] + b"partial garbage after the cut")
    with server.ftp() as client:
        client.storbinary("STOR resume.bin", io.BytesIO(whole[40_000:]), rest=40_000)
        assert (server.root / "resume.bin").read_bytes() == whole
        got = io.BytesIO()
        client.retrbinary("RETR resume.bin", got.write)
        assert got.getvalue() == whole
        # A restart past the end would leave a hole: refused, the file untouched.
        client.voidcmd("TYPE I")
        client.sendcmd("REST 200000")
        with pytest.raises(ftplib.error_perm, match=r"^554"):
            client.storbinary("STOR resume.bin", io.BytesIO(b"x"))
    assert (server.root / "resume.bin").read_bytes() == whole


def test_size_in_type_a_is_the_size_retr_sends(start) -> None:
    server = start()
    text = b"one\ntwo\r\nthree\n" + b"x" * 5000 + b"\r"
    (server.root / "t.txt").write_bytes(text)
    with server.ftp() as client:
        assert client.size("t.txt") == len(text)
        client.voidcmd("TYPE A")
        raw: list[bytes] = []
        with client.transfercmd("RETR t.txt") as conn:
            while chunk := conn.recv(65536):
                raw.append(chunk)
        client.voidresp()
        assert client.sendcmd("SIZE t.txt") == f"213 {len(b''.join(raw))}"
        assert len(b"".join(raw)) == len(text) + 2


# ---- ABOR ------------------------------------------------------------------------------------

def test_abor_with_telnet_synch_while_the_client_stops_reading(start) -> None:
    server = start(data_timeout=60)
    (server.root / "big.bin").write_bytes(os.urandom(64 << 20))
    sock, reader = server.raw()
    login(sock, reader)
    data = socket.create_connection(("127.0.0.1", epsv_port(command(sock, reader, b"EPSV"))))
    assert command(sock, reader, b"RETR big.bin").startswith(b"150")
    data.recv(65536)  # then the client stops reading: the server's send blocks on a full window
    sock.sendall(b"\xff\xf4\xff")           # Telnet IP, then IAC ...
    sock.send(b"\xf2", socket.MSG_OOB)      # ... DM as urgent data (the Synch, RFC 959 4.1.3)
    sock.sendall(b"ABOR\r\n")
    sock.settimeout(20)                     # far below the 60 s data timeout the old server waited for
    assert reader.readline().startswith(b"426")
    assert reader.readline().startswith(b"226")
    assert command(sock, reader, b"NOOP").startswith(b"200")
    data.close()
    reader.close()
    sock.close()


def test_abor_after_a_retr_whose_data_connection_never_opened(start) -> None:
    server = start(data_timeout=60)
    (server.root / "a.txt").write_bytes(b"hello\n")
    sock, reader = server.raw()
    login(sock, reader)
    assert command(sock, reader, b"PASV").startswith(b"227")
    assert command(sock, reader, b"RETR a.txt").startswith(b"150")  # the client never connects
    sock.settimeout(20)
    sock.sendall(b"ABOR\r\n")
    assert reader.readline().startswith(b"426")
    assert reader.readline().startswith(b"226")
    assert server.server.ports.in_use == 0
    reader.close()
    sock.close()


def test_threads_and_ports_are_released_when_clients_vanish_mid_transfer(start) -> None:
    server = start()
    (server.root / "big.bin").write_bytes(os.urandom(16 << 20))
    sessions_before = threading.active_count()
    for _ in range(3):
        sock, reader = server.raw()
        login(sock, reader)
        data = socket.create_connection(("127.0.0.1", epsv_port(command(sock, reader, b"EPSV"))))
        command(sock, reader, b"RETR big.bin")
        data.recv(1000)
        reader.close()
        sock.close()
        data.close()
    assert wait_for_threads(lambda: threading.active_count() <= sessions_before)
    assert server.server.ports.in_use == 0
