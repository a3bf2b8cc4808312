"""The broadcast clients on this machine's loopback: delivery, deadlines, and SO_BROADCAST's EACCES."""

from __future__ import annotations

import socket
import threading

import pytest
from socketlab_clients import broadcast


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_listener_hears_a_sender_then_exits_at_its_count(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_udp_port()
    codes: list[int] = []
    listener = threading.Thread(target=lambda: codes.append(broadcast.listen(
        ["--bind", "127.0.0.1", "--port", str(port), "--count", "1", "--timeout", "10"])))
    listener.start()
    # The listener binds before it prints its first line; send until it has heard (UDP drops when unbound).
    deadline = threading.Event()
    while listener.is_alive() and not deadline.wait(0.05):
        broadcast.send(["--to", "127.0.0.1", "--port", str(port), "hello subnet"])
    listener.join(10)
    assert codes == [0]
    out = capsys.readouterr().out
    assert f"listening on 127.0.0.1:{port}" in out and ": hello subnet" in out


def test_listener_gives_up_at_its_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    assert broadcast.listen(["--bind", "127.0.0.1", "--port", str(_free_udp_port()), "--count", "1",
                             "--timeout", "0.2"]) == 1
    assert "heard 0 datagram(s)" in capsys.readouterr().out


def test_broadcast_without_so_broadcast_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert broadcast.send(["--no-so-broadcast", "--to", "255.255.255.255", "--port", "9", "x"]) == 1
    assert "Permission denied" in capsys.readouterr().err


def test_usage() -> None:
    assert broadcast.main([]) == 2
