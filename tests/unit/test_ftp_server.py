"""The threaded FTP server over real loopback sockets: ftplib, raw sockets, abuse and limits."""

from __future__ import annotations

import ftplib
import hashlib
import io
import os
import random
import socket
import threading
import time
from pathlib import Path

import pytest

from .ftp_support import PASSWORD, USER, command, start_fixture, wait_for  # noqa: F401  (the `start` fixture)


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
@pytest.mark.parametrize("size", [0, 1, 1 << 20, 3 * (1 << 20) + 7])
def test_binary_round_trip(start, passive: bool, size: int) -> None:
    server = start()
    data = os.urandom(size)
    with server.ftp() as client:
        client.set_pasv(passive)
        client.storbinary("STOR blob.bin", io.BytesIO(data))
        got = io.BytesIO()
        client.retrbinary("RETR blob.bin", got.write)
        assert got.getvalue() == data
        assert client.size("blob.bin") == size
    assert (server.root / "blob.bin").read_bytes() == data


def test_resume_with_rest(start) -> None:
    server = start()
    data = os.urandom(100_000)
    (server.root / "r.bin").write_bytes(data)
    with server.ftp() as client:
        got = io.BytesIO()
        client.retrbinary("RETR r.bin", got.write, rest=40_000)
        assert got.getvalue() == data[40_000:]


def test_ascii_mode_converts_line_endings_both_ways(start) -> None:
    server = start()
    with server.ftp() as client:
        client.storlines("STOR t.txt", io.BytesIO(b"one\ntwo\r\nthree\n"))
        assert (server.root / "t.txt").read_bytes() == b"one\ntwo\nthree\n"
        raw: list[bytes] = []
        client.voidcmd("TYPE A")
        with client.transfercmd("RETR t.txt") as conn:
            while chunk := conn.recv(65536):
                raw.append(chunk)
        client.voidresp()
        assert b"".join(raw) == b"one\r\ntwo\r\nthree\r\n"


def test_append(start) -> None:
    server = start()
    with server.ftp() as client:
        client.storbinary("STOR a.bin", io.BytesIO(b"abc"))
        client.storbinary("APPE a.bin", io.BytesIO(b"def"))
    assert (server.root / "a.bin").read_bytes() == b"abcdef"


def _held_deleted_files(root: Path) -> list[str]:
    """Files under `root` this process still holds open although they were unlinked or replaced."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(root)) and target.endswith(" (deleted)"):
            held.append(target)
    return held


def test_replacing_a_file_releases_the_old_one_after_the_reply(start) -> None:
    """The replaced file is freed after the 226 (transfer.py), but it is freed: no descriptor leaks."""
    server = start()
    with server.ftp() as client:
        for round_ in range(4):
            data = bytes([round_]) * (1 << 20)
            client.storbinary("STOR again.bin", io.BytesIO(data))
            assert (server.root / "again.bin").read_bytes() == data   # in place when 226 arrives
        assert wait_for(lambda: not _held_deleted_files(server.root))
    assert [p.name for p in server.root.iterdir()] == ["again.bin"]


def test_concurrent_uploads_of_one_name_never_interleave(start) -> None:
    server = start()
    payloads = [bytes([i]) * (2 << 20) for i in range(8)]

    def upload(data: bytes) -> None:
        with server.ftp() as client:
            client.storbinary("STOR same.bin", io.BytesIO(data), blocksize=8192)

    threads = [threading.Thread(target=upload, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    final = (server.root / "same.bin").read_bytes()
    assert final in payloads
    assert [p.name for p in server.root.iterdir()] == ["same.bin"]


def test_upload_cut_off_halfway_leaves_nothing_and_server_keeps_serving(start) -> None:
    server = start()
    sock, reader = server.raw()
    assert command(sock, reader, f"USER {USER}".encode()).startswith(b"331")
    assert command(sock, reader, f"PASS {PASSWORD}".encode()).startswith(b"230")
    reply = command(sock, reader, b"EPSV").decode()
    port = int(reply.split("|||")[1].split("|")[0])
    data = socket.create_connection(("127.0.0.1", port))
    assert command(sock, reader, b"STOR cut.bin").startswith(b"150")
    data.sendall(os.urandom(1 << 20))
    assert wait_for(lambda: any(p.name.startswith(".ftp-upload-") for p in server.root.iterdir()))
    reader.close()
    sock.close()   # the client dies: control first, then data (a killed process closes both)
    data.close()
    assert wait_for(lambda: list(server.root.iterdir()) == [])
    with server.ftp() as client:
        assert client.nlst() == []


def test_data_connection_reset_mid_upload_leaves_nothing(start) -> None:
    server = start()
    sock, reader = server.raw()
    command(sock, reader, f"USER {USER}".encode())
    command(sock, reader, f"PASS {PASSWORD}".encode())
    port = int(command(sock, reader, b"EPSV").decode().split("|||")[1].split("|")[0])
    data = socket.create_connection(("127.0.0.1", port))
    assert command(sock, reader, b"STOR reset.bin").startswith(b"150")
    data.sendall(os.urandom(1 << 20))
    data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    data.close()  # RST
    assert reader.readline().startswith(b"426")
    assert command(sock, reader, b"NOOP").startswith(b"200")
    assert list(server.root.iterdir()) == []
    reader.close()
    sock.close()


def test_abort_during_a_download(start) -> None:
    server = start()
    (server.root / "big.bin").write_bytes(os.urandom(64 << 20))
    with server.ftp() as client:
        conn = client.transfercmd("RETR big.bin")
        conn.recv(65536)
        conn.close()  # as curl and lftp do: drop the data connection, then ABOR
        assert client.abort().startswith("426")   # the transfer's end ...
        assert client.getresp().startswith("226")  # ... then ABOR's own reply (RFC 959 4.1.3)
        assert client.voidcmd("NOOP").startswith("200")
        assert client.size("big.bin") == 64 << 20


def test_overlong_line_gets_500_and_the_connection_survives(start) -> None:
    server = start()
    sock, reader = server.raw()
    sock.sendall(b"NOOP " + b"A" * 100_000 + b"\r\n")
    assert reader.readline().startswith(b"500")
    assert command(sock, reader, b"NOOP").startswith(b"200")
    reader.close()
    sock.close()


def test_connection_limit_per_ip_and_total(start) -> None:
    server = start(max_per_ip=2)
    held = [server.raw() for _ in range(2)]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock, sock.makefile("rb") as reader:
        assert reader.readline().startswith(b"421")
    for held_sock, held_reader in held:
        held_reader.close()
        held_sock.close()
    assert wait_for(lambda: _greets(server.port))


def _greets(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock, sock.makefile("rb") as reader:
        return reader.readline().startswith(b"220")


def test_idle_control_connection_times_out(start) -> None:
    server = start(idle_timeout=0.3)
    sock, reader = server.raw()
    sock.settimeout(5)
    assert reader.readline().startswith(b"421")
    assert reader.readline() == b""
    reader.close()
    sock.close()


def test_traversal_over_the_wire(start, tmp_path: Path) -> None:
    server = start()
    os.symlink("/etc", server.root / "etc-link")
    with server.ftp() as client:
        for cmd in ("RETR ../../etc/passwd", "CWD /../..", "RETR /etc/passwd", "CWD etc-link", "RETR etc-link/passwd"):
            with pytest.raises(ftplib.error_perm, match=r"^550"):
                client.sendcmd("EPSV")
                client.sendcmd(cmd)


def test_many_clients_at_once(start) -> None:
    server = start()
    files = {f"f{i}.bin": os.urandom(random.randrange(1, 300_000)) for i in range(20)}
    errors: list[BaseException] = []

    def work(name: str, data: bytes) -> None:
        try:
            with server.ftp() as client:
                client.storbinary(f"STOR {name}", io.BytesIO(data))
                got = io.BytesIO()
                client.retrbinary(f"RETR {name}", got.write)
                assert hashlib.sha256(got.getvalue()).digest() == hashlib.sha256(data).digest()
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=item) for item in files.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(p.name for p in server.root.iterdir()) == sorted(files)


@pytest.mark.parametrize("verb", ["RETR", "STOR"])
def test_stalled_data_connection_times_out_and_the_session_goes_on(start, verb: str) -> None:
    server = start(data_timeout=0.5)
    (server.root / "big.bin").write_bytes(os.urandom(32 << 20))
    with server.ftp() as client:
        client.sock.settimeout(20)
        conn = client.transfercmd(f"{verb} big.bin" if verb == "RETR" else "STOR stalled.bin")
        started = time.monotonic()
        with pytest.raises(ftplib.error_temp, match=r"^426"):
            client.voidresp()  # the peer neither reads nor sends: the server gives up
        assert time.monotonic() - started < 15
        conn.close()
        assert client.voidcmd("NOOP").startswith("200")
    assert not (server.root / "stalled.bin").exists()
