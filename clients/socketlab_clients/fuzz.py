"""Mutated traffic against a lab service, from a client host: ``fuzz KIND HOST [PORT] --count N --seconds S``.

    fuzz ftp ftp --count 10000        # command lines, logged in as anonymous (nothing may change)
    fuzz chat chat --count 10000      # datagrams from several source ports
    fuzz web web --count 10000        # HTTP requests on keep-alive connections
    fuzz echo echo-epoll --count 10000  # byte strings; clean ones must come back whole

Each input is a valid one of the protocol with random mutations (bytes
inserted, deleted, replaced, repeated; the input cut short) or, now and then,
plain random bytes. Every loop is bounded by `--count` and by `--seconds`,
and every wait for an answer by `--wait`. Several workers run at once, each
with its own connection (or socket), and reconnect when the server closes.
Prints one JSON line: what was sent, answered, and how connections ended.
Exit status 0 unless the service stopped answering altogether. Stdlib only:
it runs in the client image, and the seed makes a run repeatable.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable

from socketlab_common.wire import chat

from .interactive import exit_with

WORKERS = 8

FTP_LINES = [
    "SYST", "FEAT", "PWD", "CWD /pub", "CWD ..", "CDUP", "TYPE A", "TYPE I", "MODE S", "STRU F", "NOOP", "HELP",
    "SIZE README.txt", "SIZE pub/notes.txt", "MDTM README.txt", "MLST README.txt", "MLST pub", "REST 10",
    "RETR README.txt", "RETR pub/notes.txt", "LIST", "LIST -la pub", "NLST", "MLSD pub", "PASV", "EPSV", "EPSV ALL",
    "PORT 127,0,0,1,4,1", "EPRT |1|127.0.0.1|2000|", "STOR x.bin", "APPE x.bin", "DELE README.txt", "MKD d",
    "RMD pub", "RNFR README.txt", "RNTO y", "ABOR", "OPTS UTF8 ON", "SITE CHMOD 777 x", "RETR ../../etc/passwd",
    "CWD /../..", "LIST ../..", "SIZE \xe6\x96\x87\xe4\xbb\xb6.txt",
]
"""Seeds for the FTP mutator: every command the server knows, with arguments that reach its paths."""

HTTP_TARGETS = ["/", "/index.html", "/css/style.css", "/docs/", "/docs/hello%20world.txt", "/nope", "/../etc/passwd",
                "/%2e%2e/%2e%2e/etc/passwd", "/bench/1k.txt", "/images/logo.png", "/?q=1", "*"]

DEFAULT_PORTS = {"ftp": 21, "chat": 8000, "web": 8000, "echo": 8888}


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A few random edits of `data`: insert, delete, replace, repeat a slice, or cut it short."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        kind = rng.randrange(6)
        if kind == 0:
            out[at:at] = rng.randbytes(rng.randint(1, 4))
        elif kind == 1:
            del out[at:at + rng.randint(1, 4)]
        elif kind == 2 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif kind == 3:
            out[at:at] = rng.choice([b"\r", b"\n", b"\r\n", b"\x00", b"\xff\xf4", b"..", b"/", b" ", b"%", b"\xc3"])
        elif kind == 4:
            piece = bytes(out[at:at + rng.randint(1, 8)])
            out[at:at] = piece * rng.randint(1, 50)
        else:
            del out[at:]
    return bytes(out)


def inputs(seeds: list[bytes], rng: random.Random, clean: float = 0.2) -> Callable[[], tuple[bytes, bool]]:
    """A source of (input, is_clean): mostly mutated seeds, some clean ones, sometimes random bytes."""
    def next_input() -> tuple[bytes, bool]:
        roll = rng.random()
        seed = rng.choice(seeds)
        if roll < clean:
            return seed, True
        if roll < 0.95:
            return mutate(seed, rng), False
        return rng.randbytes(rng.randint(0, 300)), False
    return next_input


class Budget:
    """Shared by the workers: how many inputs are left, and until when."""

    def __init__(self, count: int, seconds: float) -> None:
        self.left = count
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.stats: Counter = Counter()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() > self.deadline:
                return False
            self.left -= 1
            self.stats["sent"] += 1
            return True

    def count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.stats[key] += n


# ---- FTP ------------------------------------------------------------------------------------

def ftp_worker(host: str, port: int, budget: Budget, rng: random.Random, wait: float) -> None:
    """Anonymous sessions of mutated command lines; transfers the server starts are completed or aborted."""
    source = inputs([line.encode("latin-1") for line in FTP_LINES], rng)
    while budget.stats["sent"] == 0 or budget.left > 0:
        try:
            with socket.create_connection((host, port), timeout=wait * 4) as sock:
                reader = sock.makefile("rb")
                if not reader.readline().startswith(b"220"):
                    budget.count("no-greeting")
                    return
                for line in (b"USER anonymous", b"PASS fuzz@lab"):
                    sock.sendall(line + b"\r\n")
                    reader.readline()
                budget.count("sessions")
                if not _ftp_session(sock, reader, host, source, budget, wait):
                    return
        except OSError as exc:
            budget.count(f"ended: {type(exc).__name__}")
            if not budget.take():
                return


def _ftp_session(sock: socket.socket, reader, host: str, source, budget: Budget, wait: float) -> bool:
    """One control connection's share of the inputs; False once the budget is spent."""
    data_port = None
    while budget.take():
        line, _clean = source()
        line = line.replace(b"\n", b" ")
        verb = line.split(b" ", 1)[0].strip().upper()
        if verb.lstrip(b"\xff\xf4\xf2") in (b"USER", b"PASS", b"QUIT", b"REIN"):
            line = b"NOOP " + line  # failed logins are throttled on purpose: they have their own test
        sock.sendall(line + b"\r\n")
        reply = _ftp_reply(reader)
        if not reply:
            budget.count("closed-by-server")
            return True
        budget.count("answered")
        budget.count(f"code {reply[:1].decode('latin-1')}xx")
        if match := re.search(rb"\(\|\|\|(\d+)\|\)|\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", reply):
            groups = match.groups()
            data_port = int(groups[0]) if groups[0] else int(groups[5]) * 256 + int(groups[6])
        if reply.startswith(b"150"):
            _drain_data(host, data_port, wait)
            data_port = None
            end = _ftp_reply(reader)
            if not end:
                return True
    return False


def _ftp_reply(reader) -> bytes:
    """The final line of one reply (b"" if the connection ended)."""
    first = reader.readline()
    if first[3:4] != b"-":
        return first
    code = first[:3]
    while line := reader.readline():
        if line[:3] == code and line[3:4] == b" ":
            return line
    return b""


def _drain_data(host: str, port: int | None, wait: float) -> None:
    """Read a transfer's data connection (if there is a passive one) until EOF, or give up after `wait`."""
    if port is None:
        return
    try:
        with socket.create_connection((host, port), timeout=wait) as data:
            data.shutdown(socket.SHUT_WR)  # an upload the server started gets no bytes: an empty file
            while data.recv(65536):
                pass
    except OSError:
        pass


# ---- chat -------------------------------------------------------------------------------------

def chat_worker(host: str, port: int, budget: Budget, rng: random.Random, wait: float) -> None:
    """One source port: a login, then mutated requests; answers are read without waiting for each."""
    name = f"fz{rng.randrange(10**6)}"
    seeds = [chat.encode_request(r) for r in (chat.Login(name), chat.Chat(name, "你好 hello"), chat.Quit(name),
                                              chat.Heartbeat(name), chat.Heartbeat(None), chat.Chat("alice", "x"))]
    source = inputs(seeds, rng)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        server = (socket.gethostbyname(host), port)
        while budget.take():
            datagram, _clean = source()
            try:
                sock.sendto(datagram, server)
            except OSError as exc:
                budget.count(f"send: {type(exc).__name__}")
            _drain_udp(sock, budget)
            if budget.stats["sent"] % 64 == 0:
                time.sleep(0.001)  # let the room breathe: this is a fuzzer, not a flood
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _drain_udp(sock, budget)
            time.sleep(0.01)


def _drain_udp(sock: socket.socket, budget: Budget) -> None:
    while True:
        try:
            sock.recvfrom(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            budget.count(f"recv: {type(exc).__name__}")
            return
        budget.count("answered")


# ---- web and echo -----------------------------------------------------------------------------

def http_seeds(host: str) -> list[bytes]:
    out = []
    for target in HTTP_TARGETS:
        for method in ("GET", "HEAD", "POST", "OPTIONS"):
            body = b"x=1" if method == "POST" else b""
            head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fuzz\r\n"
            if body:
                head += f"Content-Length: {len(body)}\r\n"
            out.append(head.encode() + b"\r\n" + body)
    out.append(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    return out


def stream_worker(kind: str, host: str, port: int, budget: Budget, rng: random.Random, wait: float) -> None:
    """Web: one request per connection round (keep-alive when the server keeps it). Echo: bytes back."""
    seeds = http_seeds(host) if kind == "web" else [b"hello\n", b"\x00" * 100, "你好\n".encode(), b"x" * 5000]
    source = inputs(seeds, rng)
    while budget.take():
        payload, clean = source()
        try:
            with socket.create_connection((host, port), timeout=wait) as sock:
                sock.sendall(payload)
                if kind == "echo":
                    sock.shutdown(socket.SHUT_WR)
                got = bytearray()
                try:
                    while chunk := sock.recv(65536):
                        got += chunk
                        if kind == "web" and b"\r\n\r\n" in got:
                            break
                except TimeoutError:
                    budget.count("no answer in time")  # slow is not wrong: only a finished echo is compared
                    continue
                if kind == "echo" and got != payload:
                    budget.count("echo mismatch" if clean else "echo short")
                elif got:
                    budget.count("answered")
                    if kind == "web":
                        budget.count(f"status {got[9:10].decode('latin-1')}xx")
        except OSError as exc:
            budget.count(f"ended: {type(exc).__name__}")


def run(kind: str, host: str, port: int, count: int, seconds: float, seed: int, wait: float,
        workers: int = WORKERS) -> dict:
    budget = Budget(count, seconds)
    started = time.monotonic()
    threads = []
    for i in range(workers):
        rng = random.Random(seed * 1000 + i)
        if kind == "ftp":
            args: tuple = (ftp_worker, host, port, budget, rng, wait)
        elif kind == "chat":
            args = (chat_worker, host, port, budget, rng, wait)
        else:
            args = (stream_worker, kind, host, port, budget, rng, wait)
        thread = threading.Thread(target=args[0], args=args[1:], daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(seconds + 10 * wait + 5)
    return {"kind": kind, "host": host, "port": port, "seed": seed,
            "seconds": round(time.monotonic() - started, 2), **dict(sorted(budget.stats.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=sorted(DEFAULT_PORTS))
    parser.add_argument("host")
    parser.add_argument("port", type=int, nargs="?")
    parser.add_argument("--count", type=int, default=10_000, help="inputs to send (all workers together)")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop sending after this long anyway")
    parser.add_argument("--wait", type=float, default=1.0, help="seconds to wait for one answer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args(argv)
    report = run(args.kind, args.host, args.port or DEFAULT_PORTS[args.kind], args.count, args.seconds, args.seed,
                 args.wait, args.workers)
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report.get("answered", 0) > 0 else 1


if __name__ == "__main__":
    exit_with(main)
