"""The probes checkers send to driver hosts, run here against loopback servers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

from socketlab.lessons.kit import probe_script


def play(name: str, port: int, steps: list) -> dict:
    result = subprocess.run([sys.executable, "-", "127.0.0.1", str(port), json.dumps(steps)],
                            input=probe_script(name), capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def thanks_server(listener: socket.socket, close_after: int) -> None:
    """Answer each recv with b'Thanks' (two replies at once for the first), close after `close_after` recvs."""
    conn, _ = listener.accept()
    with conn:
        for number in range(close_after):
            if not conn.recv(1024):
                return
            conn.sendall(b"ThanksThanks" if number == 0 else b"Thanks")


def test_tcp_script_waits_for_a_new_reply_each_time_and_sees_eof() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    threading.Thread(target=thanks_server, args=(listener, 3), daemon=True).start()
    report = play("tcp_script", port, [["connect", "a"], ["send", "a", "one"], ["recv_until", "a", "Thanks", 3],
                                       ["recv_until", "a", "Thanks", 3], ["send", "a", "two"],
                                       ["recv_until", "a", "Thanks", 3], ["send", "a", "three"],
                                       ["recv_until", "a", "Thanks", 3], ["expect_eof", "a", 3], ["close", "a"]])
    assert report["ok"], report
    assert report["received"]["a"] == "Thanks" * 4
    listener.close()


def test_tcp_script_reports_the_step_that_timed_out() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    started = time.monotonic()
    report = play("tcp_script", port, [["connect", "a"], ["send", "a", "hi"], ["recv_until", "a", "Thanks", 0.5]])
    assert not report["ok"] and report["failed_step"] == 2 and "timed out" in report["error"]
    assert time.monotonic() - started < 20
    listener.close()


def test_tcp_script_reset_makes_the_server_see_a_reset() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    seen: list[str] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"Thanks")
        try:
            seen.append(repr(conn.recv(1024)))
        except ConnectionResetError:
            seen.append("reset")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert play("tcp_script", port, [["connect", "a"], ["send", "a", "x"], ["recv_until", "a", "Thanks", 3],
                                     ["reset", "a"]])["ok"]
    thread.join(10)
    assert seen == ["reset"]
    listener.close()


def test_udp_script_records_each_reply_and_its_sender() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer() -> None:
        for _ in range(2):
            data, addr = server.recvfrom(1024)
            server.sendto(b"Thanks " + data, addr)

    threading.Thread(target=answer, daemon=True).start()
    report = play("udp_script", port, [["socket", "a"], ["socket", "b"], ["send", "a", "1"], ["recv", "a", 3],
                                       ["send", "b", "2"], ["recv", "b", 3]])
    assert report["ok"], report
    assert report["received"]["a"][0] == ["Thanks 1", f"127.0.0.1:{port}"]
    assert report["received"]["b"][0][0] == "Thanks 2"
    server.close()
