"""The clients as a learner runs them: Ctrl-C ends each cleanly, the iterative server's queue is explained,
a taken chat name is asked again. Real programs, real servers, on loopback.

Every Ctrl-C is sent only once the program has shown it is waiting (its
first line of output, or its prompt): no sleeps.
"""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .echo_process import echo_server

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(str(REPO / p) for p in ("clients", "services/common",
                                                                              "services/chat")),
       "PYTHONUNBUFFERED": "1"}
WAIT = 20.0


class Program:
    """A client program with its stdout lines collected as they come."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", *argv], env=ENV, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.err: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err.append), daemon=True).start()

    @staticmethod
    def _pump(stream, sink) -> None:
        for raw in stream:
            sink(raw.decode(errors="replace"))

    def expect(self, pattern: str) -> str:
        """The next stdout line matching `pattern` (earlier lines are kept in `seen`)."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"never printed {pattern!r}; got {self.seen}, stderr {self.err}") from None
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(WAIT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextmanager
def program(*argv: str) -> Iterator[Program]:
    prog = Program(*argv)
    try:
        yield prog
    finally:
        prog.stop()


@contextmanager
def chat_room() -> Iterator[int]:
    """The real chat server on a free loopback port."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, "-m", "chatroom", "--host", "127.0.0.1", "--port", "0",
                                 "--admin-port", "0"], env=ENV, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + WAIT
            while not (match := re.search(rb"chat room on udp 127.0.0.1:(\d+)", _read(log))):
                assert proc.poll() is None and time.monotonic() < deadline, _read(log)
                time.sleep(0.02)  # polling the log for the port line, bounded
            yield int(match.group(1))
        finally:
            proc.kill()
            proc.wait()


def _read(log) -> bytes:
    log.seek(0)
    return log.read()


def _assert_clean(prog: Program, code: int) -> None:
    assert code in (0, 130), (code, prog.seen, prog.err)
    assert "Traceback" not in "".join(prog.err), "".join(prog.err)


def test_ctrl_c_ends_every_interactive_client_without_a_traceback() -> None:
    with echo_server("select") as tcp, echo_server(None, udp=True) as udp, chat_room() as chat_port:
        with program("socketlab_clients.tcp_client", "127.0.0.1", str(tcp.port)) as echo, \
                program("socketlab_clients.udp_client", "127.0.0.1", str(udp.port)) as udp_client, \
                program("socketlab_clients.broadcast", "listen", "--port", "0") as listener, \
                program("socketlab_clients.chat_client", "127.0.0.1", str(chat_port), "--name", "alice",
                        "--script") as chat:
            echo.expect("^connected")                    # now blocked reading the next line
            udp_client.send("hello\n")
            udp_client.expect("从服务端收到： hello")     # and again blocked in input()
            listener.expect("^listening on")             # blocked in recvfrom
            chat.send("hi\n")
            deadline = time.monotonic() + WAIT           # the client's remarks go to stderr
            while not any("进入聊天室" in line for line in chat.err):
                assert time.monotonic() < deadline, chat.err
                time.sleep(0.02)  # polling the collected stderr for the login line, bounded
            for prog in (echo, udp_client, listener, chat):
                _assert_clean(prog, prog.interrupt())


def test_the_second_client_of_the_iterative_server_is_told_it_waits() -> None:
    with echo_server("iterative") as server, \
            program("socketlab_clients.tcp_client", "127.0.0.1", str(server.port), "--wait", "0.5") as first:
        first.expect("^connected")                        # first in the listen queue: the server takes it first
        first.send("one\n")
        first.expect("服务器： one")                     # the server is now serving the first client
        with program("socketlab_clients.tcp_client", "127.0.0.1", str(server.port), "--wait", "0.5") as second:
            second.expect("^connected")                   # the handshake is the kernel's: it succeeds
            second.send("two\n")
            second.expect("迭代服务器一次只服务一个客户端")
            second.expect("one client at a time")
            first.send("\n")                              # the first client leaves...
            assert first.proc.wait(WAIT) == 0
            second.send("three\n")                        # ...and the replies come, each against its own line
            assert second.expect("^服务器：") == "服务器： two\n"
            assert second.expect("^服务器：") == "服务器： three\n"
            second.send("\n")
            assert second.proc.wait(WAIT) == 0


def test_a_taken_chat_name_is_asked_again_in_one_language_per_line() -> None:
    with chat_room() as port, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bob:
        bob.settimeout(WAIT)
        bob.sendto(b"L bob", ("127.0.0.1", port))
        assert bob.recv(4096).startswith(b"OK")
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "socketlab_clients.chat_client", "127.0.0.1", str(port),
                                 "--name", "bob"], env=ENV, stdin=slave, stdout=slave, stderr=slave,
                                start_new_session=True)
        os.close(slave)
        screen = b""

        def until(text: str) -> None:
            nonlocal screen
            deadline = time.monotonic() + WAIT
            while text.encode() not in screen:
                assert time.monotonic() < deadline, screen.decode(errors="replace")
                ready, _, _ = select.select([master], [], [], 0.5)
                if ready:
                    screen += os.read(master, 4096)

        try:
            until("Name:")                                 # refused, and asked again
            os.write(master, "小明\n".encode())
            until("进入聊天室")
            os.write(master, b"quit\n")
            assert proc.wait(WAIT) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        lines = [line.strip() for line in screen.decode(errors="replace").splitlines()]
        assert "登录失败：该用户已存在" in lines and "login refused: name taken: bob" in lines
        assert "Traceback" not in screen.decode(errors="replace")


@pytest.mark.parametrize("size", [1000, 1001])
def test_the_chat_size_limit_stated_is_the_one_enforced(size: int) -> None:
    """1000 bytes is said (README, client) and is what passes: 1000 is relayed, 1001 is refused by the client."""
    with chat_room() as port, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bob:
        bob.settimeout(WAIT)
        bob.sendto(b"L bob", ("127.0.0.1", port))
        assert bob.recv(4096).startswith(b"OK")
        with program("socketlab_clients.chat_client", "127.0.0.1", str(port), "--name", "alice", "--script",
                     "--listen", "0") as alice:
            alice.send("x" * size + "\nend\n")
            alice.proc.stdin.close()
            assert alice.proc.wait(WAIT) == 0
        relayed = []
        while not relayed or relayed[-1] != b"alice : end":
            data = bob.recv(4096)
            if data.startswith(b"alice : "):
                relayed.append(data)
        err = "".join(alice.err)
        if size == 1000:
            assert relayed == [b"alice : " + b"x" * 1000, b"alice : end"], relayed
        else:
            assert relayed == [b"alice : end"]
            assert "最多 1000 字节" in err and "at most 1000 bytes" in err
