"""Load generator for the benchmarks: runs on a client host, prints one JSON report.

    loadgen limits                                      # what this host can hold
    loadgen echo HOST PORT --connections 10 --size 1024 --duration 3 [--idle 900] [--requests N]
    loadgen c10k HOST PORT --connections 10000 --interval 3 --duration 9

`echo` is the vmbench/uvloop method, closed loop: each connection sends a
message, waits until the whole echo is back, and sends the next one, so the
request rate is what the server sustains. `--idle N` first opens the load
connections, then N more that send nothing while the load runs (they cost a
readiness loop like select and poll on every call); at the end each idle
connection is asked for one echo to tell held ones from refused or dropped.

`c10k` opens N connections (paced, at most a few hundred connects in flight)
and each sends a small message every `--interval` seconds at a random phase:
the notes' C10K problem, ten thousand mostly quiet clients.

Every echoed byte is compared with what was sent (`bytes_verified`,
`mismatches`); `--requests N` stops after N echoes in all, so two runs can
be compared count for count.

This is the readable version. The benchmark runs its compiled twin,
`loadgen-c` (clients/loadgen-c/loadgen.c): same options, same report, but
a Python client spends about as much per request as a Python server, so it
would measure itself. The integration tests check that both count alike.

Stdlib only: several worker processes
(fork), each with its own epoll loop over its share of the connections and
its own descriptor table. Latencies go into a log-bucket histogram (1%
resolution) so workers and hosts merge exactly by adding counts.
"""

from __future__ import annotations

import argparse
import errno
import heapq
import json
import math
import multiprocessing
import os
import random
import resource
import select
import socket
import struct
import time

from socketlab_common.histogram import bucket_of, merge_histograms, percentile_ms

from .interactive import exit_with

MAX_CONNECTING = 256
"""Non-blocking connects in flight per worker: a SYN flood would only fill the server's backlog."""

CONNECT_TIMEOUT = 10.0
GRACE = 2.0
"""Seconds after the end for outstanding echoes before a connection counts as stalled (--grace)."""

_LINGER_RST = struct.pack("ii", 1, 0)


def pattern(size: int) -> bytes:
    """What every message carries (the same in loadgen-c): byte j is (31 j + 7) mod 251, so a shifted,
    truncated or foreign echo does not compare equal."""
    return bytes((31 * j + 7) % 251 for j in range(size))


# ---------------------------------------------------------------- limits

def raise_nofile() -> int:
    """Raise the soft open-files limit to the hard one (containers inherit 20000 here); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def host_limits() -> dict:
    """What bounds the connections this host can open: descriptors per process and local ports."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = map(int, f.read().split())
    except OSError:
        low, high = 32768, 60999
    return {"nofile": raise_nofile(), "ports": high - low + 1, "cpus": len(os.sched_getaffinity(0))}


# ---------------------------------------------------------------- connections

def _new_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Close with RST: the load host keeps no TIME_WAIT ports between repetitions.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
    return sock


def open_connections(addr: tuple[str, int], count: int, deadline: float) -> tuple[list[socket.socket], int]:
    """Open `count` connections, at most MAX_CONNECTING at a time; return (connected, failed).

    Every one of the `count` is accounted for: those still connecting at the deadline and those
    never started by then (the server stopped completing handshakes) count as failed.
    """
    poller = select.epoll()
    connecting: dict[int, socket.socket] = {}
    done: list[socket.socket] = []
    failed = 0
    started = 0
    try:
        while started < count or connecting:
            while started < count and len(connecting) < MAX_CONNECTING:
                started += 1
                try:
                    sock = _new_socket()
                except OSError:  # out of descriptors
                    failed += 1
                    continue
                err = sock.connect_ex(addr)
                if err in (0, errno.EINPROGRESS):
                    connecting[sock.fileno()] = sock
                    poller.register(sock.fileno(), select.EPOLLOUT)
                else:
                    sock.close()
                    failed += 1
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            for fd, _ev in poller.poll(min(timeout, 1.0)):
                sock = connecting.pop(fd)
                poller.unregister(fd)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    done.append(sock)
                else:
                    sock.close()
                    failed += 1
    finally:
        for sock in connecting.values():
            sock.close()
            failed += 1
        failed += count - started
        poller.close()
    return done, failed


def check_alive(socks: list[socket.socket], timeout: float) -> tuple[list[socket.socket], list[socket.socket]]:
    """Send one byte on each connection; return (echoed it back in time, did not).

    Before a measurement this is the warm-up: it proves the server accepted and serves each
    connection (a fork server may still be forking, a select server may have closed it), so the
    measured window starts with every connection really held.
    """
    poller = select.epoll()
    waiting: dict[int, socket.socket] = {}
    dead: list[socket.socket] = []
    for sock in socks:
        try:
            if sock.send(b"?") == 1:
                waiting[sock.fileno()] = sock
                poller.register(sock.fileno(), select.EPOLLIN)
                continue
        except OSError:
            pass
        dead.append(sock)
    alive: list[socket.socket] = []
    # `timeout` is measured from the last answer, not from the start: a server that keeps answering
    # (a fork server forking its way through the queue on a busy machine) is given the time it needs,
    # one that stops answering (iterative, busy with its one client) is given up on after `timeout`.
    give_up = time.monotonic() + timeout * 10
    deadline = time.monotonic() + timeout
    while waiting and (left := min(deadline, give_up) - time.monotonic()) > 0:
        for fd, _ev in poller.poll(min(left, 1.0)):
            sock = waiting.pop(fd)
            poller.unregister(fd)
            deadline = time.monotonic() + timeout
            try:
                (alive if sock.recv(16) == b"?" else dead).append(sock)
            except OSError:
                dead.append(sock)
    poller.close()
    return alive, dead + list(waiting.values())


def _close_all(socks) -> None:
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- echo (closed loop)

def echo_worker(addr, connections: int, idle: int, size: int, duration: float, grace: float, requests: int,
                barrier, results) -> None:
    raise_nofile()
    deadline = time.monotonic() + CONNECT_TIMEOUT + idle / 500
    socks, refused = open_connections(addr, connections, deadline)
    socks, unserved = check_alive(socks, CONNECT_TIMEOUT)
    idle_socks, idle_refused = open_connections(addr, idle, deadline) if idle else ([], 0)
    idle_socks, idle_unserved = check_alive(idle_socks, CONNECT_TIMEOUT) if idle else ([], [])
    barrier.wait()
    report = run_echo_loop(socks, size, duration, grace, requests)
    still_idle, _gone = check_alive(idle_socks, max(grace, 1.0)) if idle_socks else ([], [])
    report["errors"] += len(unserved)
    report.update(refused=refused, unserved=len(unserved), idle_requested=idle,
                  idle_refused=idle_refused + len(idle_unserved), idle_held=len(still_idle))
    _close_all(socks + unserved + idle_socks + idle_unserved)
    results.put(report)


def run_echo_loop(socks: list[socket.socket], size: int, duration: float, grace: float = GRACE,
                  requests: int = 0) -> dict:
    """Closed loop: send a message on each connection, wait for all of it and compare it with what was
    sent, repeat until `duration` (or until `requests` messages were sent, if not 0)."""
    message = memoryview(pattern(size))
    buf = bytearray(max(size, 65536))
    poller = select.epoll()
    unsent: dict[int, memoryview] = {}
    received: dict[int, int] = {}
    sent_at: dict[int, float] = {}
    by_fd = {sock.fileno(): sock for sock in socks}
    latencies: list[float] = []
    errors = mismatches = verified = issued = 0
    now = time.monotonic
    cpu0 = os.times()
    start = now()
    end = start + duration
    last = start

    def send_message(fd: int, sock: socket.socket) -> bool:
        nonlocal issued
        if requests and issued >= requests:
            return False
        issued += 1
        received[fd] = 0
        sent_at[fd] = now()
        n = sock.send(message)
        if n < size:
            unsent[fd] = message[n:]
            poller.modify(fd, select.EPOLLIN | select.EPOLLOUT)
        return True

    for fd, sock in list(by_fd.items()):
        poller.register(fd, select.EPOLLIN)
        try:
            send_message(fd, sock)
        except OSError:
            errors += 1
            poller.unregister(fd)
            del by_fd[fd]
    recv_into = {fd: sock.recv_into for fd, sock in by_fd.items()}
    while by_fd:
        t = now()
        if not sent_at and (t >= end or (requests and issued >= requests)):
            break
        if t >= end + grace:
            break
        for fd, ev in poller.poll(max(min(end + grace - t, 0.5), 0)):
            sock = by_fd[fd]
            try:
                if ev & select.EPOLLOUT and fd in unsent:
                    rest = unsent[fd]
                    n = sock.send(rest)
                    if n < len(rest):
                        unsent[fd] = rest[n:]
                    else:
                        del unsent[fd]
                        poller.modify(fd, select.EPOLLIN)
                if ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                    n = recv_into[fd](buf)
                    if n == 0:
                        raise ConnectionResetError("closed by server")
                    before = received.get(fd, size)
                    got = before + n
                    if fd not in sent_at or got > size or buf[:n] != message[before:got]:
                        mismatches += 1  # more than was sent, or other bytes
                        raise ConnectionResetError("echo differs from what was sent")
                    verified += n
                    if got < size:
                        received[fd] = got
                        continue
                    t = last = now()
                    latencies.append(t - sent_at.pop(fd))
                    if t < end:
                        send_message(fd, sock)
            except BlockingIOError:
                continue
            except OSError:
                errors += 1
                poller.unregister(fd)
                sent_at.pop(fd, None)
                del by_fd[fd]
    if requests:  # a fixed number of requests ends with the last echo, a timed run at `end`
        elapsed = last - start
    else:
        elapsed = min(now(), end) - start if latencies else duration
    stalled = len(sent_at)  # still waiting for an echo after the grace period
    cpu1 = os.times()
    poller.close()
    hist: dict[int, int] = {}
    for lat in latencies:
        b = bucket_of(lat)
        hist[b] = hist.get(b, 0) + 1
    return {
        "requests": len(latencies), "bytes": len(latencies) * size, "elapsed": max(elapsed, 1e-9),
        "bytes_verified": verified, "mismatches": mismatches,
        "errors": errors + stalled, "stalled": stalled, "connections": len(socks),
        "held": len(by_fd) - stalled, "hist": hist, "max_ms": max(latencies, default=0.0) * 1000,
        "cpu_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
    }


# ---------------------------------------------------------------- c10k (open loop, sparse)

def c10k_worker(addr, connections: int, size: int, interval: float, duration: float, grace: float, barrier,
                results) -> None:
    raise_nofile()
    socks, refused = open_connections(addr, connections, time.monotonic() + CONNECT_TIMEOUT + connections / 1000)
    socks, unserved = check_alive(socks, CONNECT_TIMEOUT)
    barrier.wait()
    report = run_c10k_loop(socks, size, interval, duration, grace)
    report["errors"] += len(unserved)
    report.update(refused=refused, unserved=len(unserved))
    _close_all(socks + unserved)
    results.put(report)


def run_c10k_loop(socks: list[socket.socket], size: int, interval: float, duration: float,
                  grace: float = GRACE) -> dict:
    """Each connection sends `size` bytes every `interval` seconds; an echo must be back before the next."""
    message = b"c" * size
    buf = bytearray(65536)
    poller = select.epoll()
    by_fd = {sock.fileno(): sock for sock in socks}
    received: dict[int, int] = {}
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    errors = late = 0
    now = time.monotonic
    cpu0 = os.times()
    start = now()
    end = start + duration
    rng = random.Random(os.getpid())
    timers = [(start + rng.random() * interval, fd) for fd in by_fd]
    heapq.heapify(timers)
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)

    def fail(fd: int) -> None:
        nonlocal errors
        errors += 1
        poller.unregister(fd)
        sent_at.pop(fd, None)
        del by_fd[fd]

    while by_fd:
        t = now()
        while timers and timers[0][0] <= t:
            due, fd = heapq.heappop(timers)
            if fd not in by_fd or due >= end:
                continue
            heapq.heappush(timers, (due + interval, fd))
            if fd in sent_at:
                late += 1  # the previous echo is not back yet: skip this tick
                continue
            try:
                if by_fd[fd].send(message) != size:
                    raise OSError("short send of a small message")
                received[fd] = 0
                sent_at[fd] = t
            except OSError:
                fail(fd)
        if (t >= end and not sent_at) or t >= end + grace:
            break
        wait = (timers[0][0] - t) if timers and timers[0][0] < end else (end + grace - t)
        for fd, _ev in poller.poll(max(min(wait, 0.5), 0.0)):
            if fd not in by_fd:
                continue
            try:
                n = by_fd[fd].recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                fail(fd)
                continue
            if n == 0:
                fail(fd)
                continue
            if fd not in sent_at:
                continue
            received[fd] += n
            if received[fd] >= size:
                latencies.append(now() - sent_at.pop(fd))
    stalled = len(sent_at)
    cpu1 = os.times()
    poller.close()
    hist: dict[int, int] = {}
    for lat in latencies:
        b = bucket_of(lat)
        hist[b] = hist.get(b, 0) + 1
    return {
        "requests": len(latencies), "bytes": len(latencies) * size, "elapsed": duration,
        "errors": errors + stalled, "stalled": stalled, "late": late, "connections": len(socks),
        "held": len(by_fd) - stalled, "hist": hist, "max_ms": max(latencies, default=0.0) * 1000,
        "cpu_s": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
    }


# ---------------------------------------------------------------- driver

def split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as possible."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_workers(target, per_worker_args: list[tuple], duration: float) -> list[dict]:
    """Run one worker per argument tuple in forked processes; they start measuring together.

    Each worker connects, says "ready" on its pipe, and waits for a byte on a shared start pipe; the
    parent writes one byte per worker once all are ready. (Plain pipes, not multiprocessing.Barrier:
    its semaphore starts a resource-tracker process that outlives the run.)
    """
    ctx = multiprocessing.get_context("fork")
    start_r, start_w = os.pipe()
    pipes = [ctx.Pipe(duplex=False) for _ in per_worker_args]
    procs = [ctx.Process(target=target, args=(*args, _StartGate(start_r, sender), _Reply(sender)), daemon=True)
             for args, (_receiver, sender) in zip(per_worker_args, pipes, strict=True)]
    for proc in procs:
        proc.start()
    os.close(start_r)
    reports = []
    limit = duration + CONNECT_TIMEOUT * 4 + 120
    try:
        for receiver, sender in pipes:
            sender.close()  # the child has its copy; EOF on the receiver then means the child died
            if not receiver.poll(limit) or receiver.recv() != "ready":
                raise TimeoutError("a load worker did not get ready")
        os.write(start_w, b"g" * len(procs))
        for receiver, _sender in pipes:
            if not receiver.poll(limit):
                raise TimeoutError("a load worker did not report")
            reports.append(receiver.recv())
    finally:
        os.close(start_w)
        for receiver, _sender in pipes:
            receiver.close()
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()
            proc.close()
    return reports


class _StartGate:
    """The worker's side of the start: report ready, then block until the parent says go."""

    def __init__(self, start_fd: int, conn) -> None:
        self.start_fd, self.conn = start_fd, conn

    def wait(self) -> None:
        self.conn.send("ready")
        os.read(self.start_fd, 1)


class _Reply:
    """The worker's side of its pipe, with the `put` of a queue."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def put(self, report: dict) -> None:
        self.conn.send(report)
        self.conn.close()


def combine(reports: list[dict], size: int) -> dict:
    """One report from the workers' reports: sums, merged histogram, percentiles."""
    hist = merge_histograms([r["hist"] for r in reports])
    elapsed = max(r["elapsed"] for r in reports)
    requests = sum(r["requests"] for r in reports)
    out = {
        "generator": "python",
        "requests": requests,
        "bytes": sum(r["bytes"] for r in reports),
        "requests_per_s": requests / elapsed,
        "mib_per_s": sum(r["bytes"] for r in reports) / elapsed / (1 << 20),
        "p50_ms": percentile_ms(hist, 0.50), "p90_ms": percentile_ms(hist, 0.90),
        "p99_ms": percentile_ms(hist, 0.99),
        "max_ms": max(r["max_ms"] for r in reports),
        "errors": sum(r["errors"] for r in reports),
        "stalled": sum(r["stalled"] for r in reports),
        "refused": sum(r["refused"] for r in reports),
        "connections": sum(r["held"] for r in reports),
        "client_cpu": sum(r["cpu_s"] for r in reports) / elapsed,  # in cores: near the pinned count = client-bound
        "size": size,
        "hist": {str(k): v for k, v in sorted(hist.items())},
    }
    for key in ("unserved", "idle_requested", "idle_refused", "idle_held", "late", "bytes_verified", "mismatches"):
        if key in reports[0]:
            out[key] = sum(r[key] for r in reports)
    return out


def main(argv: list[str] | None = None) -> int:
    global CONNECT_TIMEOUT  # set from --connect-timeout; the forked workers read it
    parser = argparse.ArgumentParser(prog="loadgen", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    sub.add_parser("limits", help="print this host's descriptor, port and CPU limits as JSON")
    for mode in ("echo", "c10k"):
        p = sub.add_parser(mode)
        p.add_argument("host")
        p.add_argument("port", type=int, nargs="?", default=8888)
        p.add_argument("--connections", type=int, default=10 if mode == "echo" else 10000)
        p.add_argument("--size", type=int, default=1024 if mode == "echo" else 64)
        p.add_argument("--duration", type=float, default=3.0 if mode == "echo" else 9.0)
        p.add_argument("--workers", type=int, default=0, help="processes (default: CPUs, at most connections)")
        p.add_argument("--connect-timeout", type=float, default=CONNECT_TIMEOUT,
                       help="seconds allowed for opening the connections")
        p.add_argument("--grace", type=float, default=GRACE, help="seconds to wait for outstanding echoes at the end")
        if mode == "echo":
            p.add_argument("--idle", type=int, default=0, help="idle connections held open during the load")
            p.add_argument("--requests", type=int, default=0,
                           help="stop after this many echoes in all (0: run for --duration)")
        else:
            p.add_argument("--interval", type=float, default=3.0, help="seconds between a connection's messages")
    args = parser.parse_args(argv)
    CONNECT_TIMEOUT = getattr(args, "connect_timeout", CONNECT_TIMEOUT)
    limits = host_limits()
    if args.mode == "limits":
        print(json.dumps(limits))
        return 0
    addr = (socket.gethostbyname(args.host), args.port)
    total = args.connections + getattr(args, "idle", 0)
    per_process = max(limits["nofile"] - 64, 1)
    workers = args.workers or min(max(limits["cpus"], 1), max(args.connections, 1))
    workers = max(workers, math.ceil(total / per_process))  # never more descriptors than a process may hold
    if args.mode == "echo":
        shares = zip(split(args.connections, workers), split(args.idle, workers), split(args.requests, workers),
                     strict=True)
        worker_args = [(addr, c, i, args.size, args.duration, args.grace, r) for c, i, r in shares]
        reports = run_workers(echo_worker, worker_args, args.duration)
    else:
        worker_args = [(addr, c, args.size, args.interval, args.duration, args.grace)
                       for c in split(args.connections, workers)]
        reports = run_workers(c10k_worker, worker_args, args.duration)
    report = combine(reports, args.size)
    report.update(mode=args.mode, workers=workers, requested=args.connections, limits=limits)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    exit_with(main)
