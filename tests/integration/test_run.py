"""`socketlab run FILE.py`: the learner's own programs on two hosts of the test lab.

A server and a client exchange data across hosts and both write files that must
appear in the mounted folder; SIGINT ends a run quietly (0 or 130, no traceback)
and removes its host; a taken address is refused with one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .lab import ComposeLab

SERVER = '''
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000))
s.listen(5)
print("ready", flush=True)
while True:
    c, addr = s.accept()
    data = b""
    while True:
        chunk = c.recv(1024)
        if not chunk:
            break
        data += chunk
    with open("received.txt", "wb") as f:
        f.write(data)
    c.sendall(b"got %d bytes" % len(data))
    c.close()
    if "--once" in sys.argv:
        break
'''

CLIENT = '''
import socket, sys
c = socket.create_connection((sys.argv[1], 9000), timeout=10)
c.sendall("你好, server".encode() * 100)
c.shutdown(socket.SHUT_WR)
reply = c.recv(1024).decode()
print("reply:", reply)
with open("reply.txt", "w") as f:
    f.write(reply)
'''


def socketlab_run(folder: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "socketlab.cli", "run", *args], cwd=folder,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 60) -> list[str]:
    """Read the process's stdout until a line holds `text` (fails after `timeout` seconds)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            if text in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"no {text!r} within {timeout} s: {lines} {process.poll()}"
    return lines


def host_gone(lab: ComposeLab, name: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not lab.docker.containers.list(all=True, filters={"name": f"^{lab.settings.project}-run-{name}$"}):
            return True
        time.sleep(0.2)
    return False


def test_server_and_client_on_two_hosts_write_into_the_folder(lab: ComposeLab, tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text(SERVER)
    (tmp_path / "client.py").write_text(CLIENT)
    server_ip = lab.settings.subnet_ip("public", 79)  # an address no other module of the session takes
    server = socketlab_run(tmp_path, "server.py", "--once", "--ip", server_ip)
    try:
        wait_for_line(server, "ready")
        client = subprocess.run([sys.executable, "-m", "socketlab.cli", "run", "client.py", server_ip],
                                cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
        assert client.returncode == 0, client.stderr
        expected = "你好, server".encode() * 100
        assert f"reply: got {len(expected)} bytes" in client.stdout
        assert server.wait(30) == 0, server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
    assert (tmp_path / "received.txt").read_bytes() == expected
    assert (tmp_path / "reply.txt").read_text() == f"got {len(expected)} bytes"
    assert (tmp_path / "received.txt").stat().st_uid == os.getuid()


def test_sigint_ends_quietly_and_removes_the_host(lab: ComposeLab, tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text(SERVER)
    server = socketlab_run(tmp_path, "server.py", "--name", "sigint-test")
    try:
        wait_for_line(server, "ready")
        server.send_signal(signal.SIGINT)
        code = server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    errors = server.stderr.read()
    assert code in (0, 130), errors
    assert "Traceback" not in errors, errors
    assert host_gone(lab, "sigint-test"), "the host of the run is still there"


def test_a_taken_address_gets_one_clear_line(lab: ComposeLab, tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text(SERVER)
    taken = lab.service_ip(lab.services()[0])
    result = subprocess.run([sys.executable, "-m", "socketlab.cli", "run", "server.py", "--ip", taken],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "already taken" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Error response" not in result.stderr
