"""UDP load for the chat benchmark: N clients sending at a fixed rate; prints one JSON report.

    chat-load chat HOST [PORT] --clients 8 --rate 1000 --duration 3    # the room relays to N-1 others
    chat-load echo HOST [PORT] --clients 8 --rate 7000 --duration 3    # raw recvfrom/sendto baseline

Each client is its own UDP socket (its own address, so its own member of the
room). The aggregate `--rate` (datagrams per second) is paced on a clock and
shared round-robin by the clients: open loop, as real chat traffic is, so a
server that falls behind loses datagrams instead of slowing the senders.
Every payload carries its sender, a sequence number and the send time, so
the receivers count deliveries, out-of-order arrivals and latency (one
process, one clock). In chat mode a datagram should reach the N-1 others;
in echo mode it should come back once. After `--duration` the receivers
drain for `--drain` seconds, then the chat clients quit. The delivered rate
is deliveries / duration: the offered rate times the fraction delivered.

Stdlib only; one poll loop for all the sockets.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import time

from socketlab_common.wire import chat

from .interactive import exit_with

RECV_BUFFER = chat.RECV_BUFFER
SOCKET_BUFFER = 1 << 20


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


class Load:
    def __init__(self, mode: str, server: tuple[str, int], clients: int, size: int) -> None:
        self.mode = mode
        self.server = server
        self.socks: list[socket.socket] = []
        tag = f"{os.getpid() % 10000:04d}"
        self.names = [f"load{tag}-{i}" for i in range(clients)]
        for _ in range(clients):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
                except OSError:
                    pass
            sock.bind(("0.0.0.0", 0))
            self.socks.append(sock)
        self.by_fd = {s.fileno(): i for i, s in enumerate(self.socks)}
        self.padding = "x" * max(0, size - 40)
        self.sent = 0
        self.send_errors = 0
        self.received = 0
        self.out_of_order = 0
        self.latencies: list[float] = []
        self.last_seq: dict[tuple[int, int], int] = {}
        self.first_send = 0.0
        self.last_recv = 0.0

    # -- chat membership -------------------------------------------------------

    def login(self, timeout: float = 10.0) -> None:
        """Log every client in (retrying: UDP may lose a login)."""
        pending = set(range(len(self.socks)))
        deadline = time.monotonic() + timeout
        for sock in self.socks:
            sock.settimeout(0.05)
        while pending and time.monotonic() < deadline:
            for i in list(pending):
                self.socks[i].sendto(chat.encode_request(chat.Login(self.names[i])), self.server)
            for i in list(pending):
                try:
                    while True:
                        data, _ = self.socks[i].recvfrom(RECV_BUFFER)
                        reply = chat.parse_server_datagram(data)
                        if isinstance(reply, chat.Reply) and reply.keyword == "OK":
                            pending.discard(i)
                            break
                        if isinstance(reply, chat.Reply) and reply.keyword in ("Fail", "ERR"):
                            raise SystemExit(f"login {self.names[i]}: {data.decode(errors='replace')}")
                except TimeoutError:
                    pass
        if pending:
            raise SystemExit(f"{len(pending)} clients could not log in")
        # Drain the join notices the later logins caused, so they are not counted as deliveries.
        time.sleep(0.2)
        for sock in self.socks:
            sock.setblocking(False)
            try:
                while True:
                    sock.recvfrom(RECV_BUFFER)
            except BlockingIOError:
                pass

    def logout(self) -> None:
        for i, sock in enumerate(self.socks):
            try:
                sock.sendto(chat.encode_request(chat.Quit(self.names[i])), self.server)
            except OSError:
                pass

    # -- the measured run ------------------------------------------------------

    def payload(self, i: int, seq: int) -> bytes:
        body = f"{i} {seq} {time.monotonic_ns()} {self.padding}"
        return chat.encode_request(chat.Chat(self.names[i], body)) if self.mode == "chat" else body.encode()

    def run(self, rate: float, duration: float, drain: float) -> None:
        for sock in self.socks:
            sock.setblocking(False)
        poller = select.poll()
        for sock in self.socks:
            poller.register(sock.fileno(), select.POLLIN)
        seqs = [0] * len(self.socks)
        start = self.first_send = time.monotonic()
        stop_sending = start + duration
        stop = stop_sending + drain
        turn = 0
        while True:
            now = time.monotonic()
            if now >= stop:
                break
            if now < stop_sending:
                due = int((now - start) * rate) + 1 - self.sent
                for _ in range(min(due, 256)):
                    i = turn % len(self.socks)
                    turn += 1
                    try:
                        self.socks[i].sendto(self.payload(i, seqs[i]), self.server)
                    except OSError:
                        self.send_errors += 1
                    seqs[i] += 1
                    self.sent += 1
                wait_ms = 1
            else:
                wait_ms = 20
            for fd, _events in poller.poll(wait_ms):
                self._receive(self.by_fd[fd])

    def _receive(self, receiver: int) -> None:
        sock = self.socks[receiver]
        for _ in range(64):
            try:
                data, _ = sock.recvfrom(RECV_BUFFER)
            except BlockingIOError:
                return
            except OSError:
                continue
            now_ns = time.monotonic_ns()
            text = data.decode("utf-8", "replace")
            if self.mode == "chat":
                _, sep, text = text.partition(chat.CHAT_SEPARATOR)
                if not sep:
                    continue  # a notice (a join or leave), not a delivery
            fields = text.split(" ", 3)
            try:
                sender, seq, sent_ns = int(fields[0]), int(fields[1]), int(fields[2])
            except (IndexError, ValueError):
                continue
            self.received += 1
            self.last_recv = time.monotonic()
            key = (receiver, sender)
            if seq <= self.last_seq.get(key, -1):
                self.out_of_order += 1
            else:
                self.last_seq[key] = seq
            self.latencies.append((now_ns - sent_ns) / 1e6)

    def report(self, rate: float, duration: float) -> dict:
        fan_out = len(self.socks) - 1 if self.mode == "chat" else 1
        expected = self.sent * fan_out
        lat = sorted(self.latencies)
        return {
            "mode": self.mode, "clients": len(self.socks), "rate": rate, "duration": duration,
            "sent": self.sent, "send_errors": self.send_errors, "expected": expected,
            "received": self.received, "delivered_fraction": self.received / expected if expected else 0.0,
            "offered_out_per_s": expected / duration, "delivered_per_s": self.received / duration,
            "out_of_order": self.out_of_order,
            "p50_ms": percentile(lat, 0.5), "p90_ms": percentile(lat, 0.9), "p99_ms": percentile(lat, 0.99),
            "max_ms": lat[-1] if lat else 0.0,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chat-load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["chat", "echo"])
    parser.add_argument("host")
    parser.add_argument("port", type=int, nargs="?")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=1000.0, help="datagrams per second, all clients together")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--drain", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=100, help="approximate payload bytes")
    args = parser.parse_args(argv)
    port = args.port or (8000 if args.mode == "chat" else 8888)
    server = (socket.gethostbyname(args.host), port)
    load = Load(args.mode, server, args.clients, args.size)
    if args.mode == "chat":
        load.login()
    try:
        load.run(args.rate, args.duration, args.drain)
    finally:
        if args.mode == "chat":
            load.logout()
    print(json.dumps(load.report(args.rate, args.duration)))
    return 0


if __name__ == "__main__":
    exit_with(main)
