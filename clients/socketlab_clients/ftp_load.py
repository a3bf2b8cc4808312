"""Load generator for the FTP benchmark: many clients connect and log in at once.

    python3 -m socketlab_clients.ftp_load logins HOST --count 100 --user U --password P [--start T0]

One thread drives every connection with a selector (so the load generator
itself is not 300 threads fighting the GIL). All hosts of a run are given the
same wall-clock start time T0 (containers share the host's clock), so their
connects begin together; each prints JSON with its finish time.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import time

from .interactive import exit_with


class Login:
    """One client: connect, 220, USER -> 331, PASS -> 230."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        self.sock = socket.socket()
        self.sock.setblocking(False)
        self.sock.connect_ex((host, port))
        self.steps = [(b"220", f"USER {user}\r\n".encode()), (b"331", f"PASS {password}\r\n".encode()),
                      (b"230", None)]
        self.buffer = b""
        self.started = time.monotonic()
        self.finished: float | None = None
        self.error = ""

    def on_readable(self) -> bool:
        """Handle input; True once this client is done (logged in or failed)."""
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return False
        except OSError as exc:
            self.error = str(exc)
            return True
        if not data:
            self.error = "closed"
            return True
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if len(line) < 4 or line[3:4] != b" ":
                continue  # a multi-line reply's continuation
            expected, answer = self.steps.pop(0)
            if expected == b"331" and line[:3] == b"230":  # no password asked (vsftpd's anonymous)
                expected, answer = self.steps.pop(0)
            if line[:3] != expected:
                self.error = line.decode(errors="replace").strip()
                return True
            if answer is None:
                self.finished = time.monotonic()
                return True
            self.sock.sendall(answer)
        return False


def logins(host: str, port: int, count: int, user: str, password: str, start: float | None,
           timeout: float) -> dict:
    if start is not None:
        time.sleep(max(0.0, start - time.time()))
    began_wall, began = time.time(), time.monotonic()
    selector = selectors.DefaultSelector()
    clients = []
    for _ in range(count):
        client = Login(host, port, user, password)
        clients.append(client)
        selector.register(client.sock, selectors.EVENT_READ, client)
    pending = count
    deadline = began + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in selector.select(0.5):
            if key.data.on_readable():
                selector.unregister(key.fileobj)
                pending -= 1
    end = time.monotonic()
    done = sorted((c.finished - began) * 1000 for c in clients if c.finished is not None)
    errors = [c.error or "timeout" for c in clients if c.finished is None]
    for client in clients:
        try:
            if client.finished is not None:
                client.sock.send(b"QUIT\r\n")
        except OSError:
            pass
        client.sock.close()
    selector.close()

    def pct(p: float) -> float:
        return done[min(len(done) - 1, int(p * len(done)))] if done else 0.0

    return {"ok": len(done), "errors": len(errors), "first_errors": errors[:3], "seconds": end - began,
            "start_wall": began_wall, "finish_wall": began_wall + (end - began), "p50_ms": pct(0.5),
            "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": done[-1] if done else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ftp-load")
    sub = parser.add_subparsers(dest="case", required=True)
    login = sub.add_parser("logins", help="COUNT clients connect and log in at once")
    login.add_argument("host")
    login.add_argument("--port", type=int, default=21)
    login.add_argument("--count", type=int, default=100)
    login.add_argument("--user", default="anonymous")
    login.add_argument("--password", default="bench@socketlab")
    login.add_argument("--start", type=float, help="wall-clock time to begin (shared by all hosts)")
    login.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    report = logins(args.host, args.port, args.count, args.user, args.password, args.start, args.timeout)
    print(json.dumps(report))
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    exit_with(main)
