"""The prober every lab host runs: outcomes over real loopback sockets."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from socketlab_common.reach import main, parse_target, probe


def test_targets_parse_and_bad_ones_are_refused() -> None:
    assert parse_target("tcp:10.77.1.30:9002") == ("tcp", "10.77.1.30", 9002)
    for bad in ("sctp:1.2.3.4:5", "tcp:1.2.3.4", "udp::5", "tcp:host:port"):
        with pytest.raises(ValueError):
            parse_target(bad)


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tcp_reply_and_refused() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"bind=127.0.0.1:x/tcp you=me\n")

        threading.Thread(target=answer, daemon=True).start()
        assert probe(f"tcp:127.0.0.1:{port}")["reply"] == "bind=127.0.0.1:x/tcp you=me"
    assert probe(f"tcp:127.0.0.1:{_free_port(socket.SOCK_STREAM)}")["outcome"] == "refused"


def test_udp_reply_and_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]

        def answer() -> None:
            _data, peer = server.recvfrom(100)
            server.sendto(b"pong", peer)

        threading.Thread(target=answer, daemon=True).start()
        assert probe(f"udp:127.0.0.1:{port}")["outcome"] == "reply"
    # Nothing bound: the kernel's ICMP port unreachable arrives as ECONNREFUSED on a connected socket.
    assert probe(f"udp:127.0.0.1:{_free_port(socket.SOCK_DGRAM)}")["outcome"] == "refused"


def test_udp_silence_is_a_timeout() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as mute:
        mute.bind(("127.0.0.1", 0))
        result = probe(f"udp:127.0.0.1:{mute.getsockname()[1]}", timeout=0.2)
    assert result["outcome"] == "timeout"


def test_main_prints_one_json_line_per_target(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port(socket.SOCK_STREAM)
    assert main(["--timeout", "1", f"tcp:127.0.0.1:{port}", f"udp:127.0.0.1:{port}"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["target"] for r in lines] == [f"tcp:127.0.0.1:{port}", f"udp:127.0.0.1:{port}"]
    assert main(["nonsense"]) == 2
