"""The notes' FTP client against the real server on loopback: commands, progress, clear errors."""

from __future__ import annotations

import io
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ftpserver.config import FtpConfig
from ftpserver.server import FtpServer
from socketlab_clients import ftp_client
from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener


class Server:
    def __init__(self, root: Path) -> None:
        base = random.randrange(40000, 60000, 50)
        config = FtpConfig(root=str(root), users={"alice": "pw"}, pasv_ports=range(base, base + 50))
        self.root = root
        self.listener = tcp_listener("127.0.0.1", 0)
        self.port = self.listener.getsockname()[1]
        self.stop = StopSignal()
        self.thread = threading.Thread(target=FtpServer(config, self.stop).serve, args=(self.listener,),
                                       daemon=True)
        self.thread.start()

    def args(self, *argv: str) -> list[str]:
        return ["127.0.0.1", *argv, "--port", str(self.port), "--user", "alice", "--password", "pw"]

    def close(self) -> None:
        if self.stop.is_set():
            return
        self.stop.set()
        self.thread.join(5)
        self.listener.close()
        self.stop.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "library"
    root.mkdir()
    (root / "hello.txt").write_text("hello\n")
    running = Server(root)
    yield running
    running.close()


def test_list_get_put_non_interactive(server: Server, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert ftp_client.main(server.args("list")) == 0
    assert "hello.txt" in capsys.readouterr().out
    dest = tmp_path / "got.txt"
    assert ftp_client.main(server.args("get", "hello.txt", "-o", str(dest))) == 0
    assert dest.read_text() == "hello\n"
    upload = tmp_path / "up.bin"
    upload.write_bytes(os.urandom(300_000))
    assert ftp_client.main(server.args("put", str(upload), "--as", "copy.bin")) == 0
    assert (server.root / "copy.bin").read_bytes() == upload.read_bytes()


def test_clear_errors(server: Server, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = ["127.0.0.1", "list", "--port", str(server.port), "--user", "alice", "--password", "wrong"]
    assert ftp_client.main(bad) == 1
    assert "login refused" in capsys.readouterr().err
    assert ftp_client.main(server.args("get", "missing.txt", "-o", str(tmp_path / "m"))) == 1
    assert "no such file on the server" in capsys.readouterr().err
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.part").exists()
    assert ftp_client.main(server.args("put", str(tmp_path / "nope"))) == 1
    assert "no such local file" in capsys.readouterr().err


def test_progress_bar_reaches_one_hundred_percent() -> None:
    stream = io.StringIO()
    bar = ftp_client.Progress("get big.bin", 4 << 20, stream=stream)
    for _ in range(4):
        bar.update(1 << 20)
    bar.finish()
    assert "[##############################] 100%" in stream.getvalue()
    assert "4.0/4.0 MiB" in stream.getvalue()


def test_interactive_prompts_and_a_lost_connection(server: Server, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    client = ftp_client.FtpClient("127.0.0.1", server.port, "alice", "pw", progress=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("help\nlist\n"))
    assert ftp_client.interactive(client) == 0
    out = capsys.readouterr().out
    assert "get NAME" in out and "hello.txt" in out and "bye" in out

    client = ftp_client.FtpClient("127.0.0.1", server.port, "alice", "pw", progress=False)
    server.close()  # the server goes away under the client
    monkeypatch.setattr("sys.stdin", io.StringIO("list\nlist\n"))
    assert ftp_client.interactive(client) == 1
    assert "lost the connection" in capsys.readouterr().err
    client.ftp.close()
