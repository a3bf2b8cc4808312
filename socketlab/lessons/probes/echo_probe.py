"""Drive a learner's echo server from a client host: the client side of the chapter 3 checkers.

Run on a client host as ``python3 - SPEC`` (this file's text on stdin), where SPEC is
JSON: ``{"host": ip, "port": 8888, "steps": [{"step": "echo", ...}, ...]}``. The steps run
in order and one JSON line reports them: ``{"steps": [{"step": ..., "ok": bool, "error": str, ...}]}``.
The run stops at the first step that fails: what follows would only fail with it.
A step that cannot even connect reports "refused": the server is gone, and the checker
on the lab side finds out why (its exit status, its last stderr lines).

Every step is bounded in time, so a server that hangs gives a failed step, never a
hung probe. Standard library only: the client image needs no rebuild.

Steps (the keys each takes, with defaults):
    echo      text, timeout=3            one message, its echo back
    split     timeout=3                  UTF-8 text cut inside a character, sent as two segments
    crowd     connections=10, rounds=3, timeout=4, hold=0, meet=None, tag=""
                                          N connections at once, each sends its own messages,
                                          each must get exactly its own bytes back (late: when
                                          no connection moved for `timeout`); held open until
                                          every host is done (see Meeting), then `hold`
    silent    timeout=3, close_within=0  a connection that says nothing, while another is served;
                                          with close_within, the silent one must be closed by the
                                          server within that many seconds (settimeout)
    vanish    size=65536                 a connection that sends, then disappears with RST
    large     size=2097152, stall=3      a large echo, read only once it has all been sent
    halfclose timeout=3                  echo, shutdown(SHUT_WR), then the server must close (EOF)
    flood     connections=550, stall=3, limit=30, hold=0.5, meet=None
                                          open many connections, ask each for one echo: each is
                                          served, refused (closed or reset), or left hanging
"""

from __future__ import annotations

import errno
import json
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

RST_LINGER = struct.pack("ii", 1, 0)


class Refused(Exception):
    """The server did not accept a connection at all."""


class Meeting:
    """The hosts of one step start together and let their connections go together.

    A step run on several hosts at once (a crowd, a flood) must have the server hold all their
    connections at the same time, however late one host (or the watch on the server's host)
    started on a busy machine. So they meet over a small TCP rendezvous on the lab network,
    one word per line: each follower says who it is (``host`` or ``watch``); ``ready`` lets
    nobody connect before everyone is there (``go``); ``all_done`` lets nobody go before every
    host is done, and before the watch, asked to ``sample`` then, has seen the server holding
    them all (``done``); then ``release``. ``meet = {"peers": n, "port": p}`` makes this host
    the leader, listening for n others; ``meet = {"leader": ip, "port": p}`` makes it one of
    them. Every wait is bounded by ``meet["timeout"]``; a peer that hangs up counts as done.
    """

    def __init__(self, meet: dict | None, role: str = "host") -> None:
        self.meet = meet or {}
        self.role = role
        self.deadline = time.monotonic() + float(self.meet.get("timeout", 20.0))
        self.listener = None
        self.others: list[tuple[str, socket.socket, object]] = []  # (role, socket, its line reader)
        self.conn: socket.socket | None = None
        self.lines = None
        if self.meet.get("peers"):  # bound before any work, so the others can always find it
            self.listener = socket.create_server(("0.0.0.0", int(self.meet["port"])))

    def _left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.05)

    def _hear(self, conn: socket.socket, lines) -> str:
        conn.settimeout(self._left())
        try:
            return lines.readline().decode().strip()
        except (OSError, ValueError):
            return ""

    @staticmethod
    def _say(conn: socket.socket, word: str) -> None:
        try:
            conn.sendall(word.encode() + b"\n")
        except OSError:
            pass

    def ready(self) -> bool:
        """Wait until every peer is there (False if one never came in time)."""
        if not self.meet:
            return True
        if self.listener is not None:
            while len(self.others) < int(self.meet["peers"]) and time.monotonic() < self.deadline:
                self.listener.settimeout(self._left())
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    break
                lines = conn.makefile("rb")
                self.others.append((self._hear(conn, lines), conn, lines))
            self.listener.close()
            for _role, conn, _lines in self.others:
                self._say(conn, "go")
            return len(self.others) == int(self.meet["peers"])
        while self.conn is None and time.monotonic() < self.deadline:
            try:
                self.conn = socket.create_connection((self.meet["leader"], int(self.meet["port"])), timeout=1)
            except OSError:
                time.sleep(0.1)
        if self.conn is None:
            return False
        self.lines = self.conn.makefile("rb")
        self._say(self.conn, self.role)
        return self._hear(self.conn, self.lines) == "go"

    def all_done(self) -> bool:
        """Say this host is done and wait until every host is (and the watch has looked)."""
        if not self.meet:
            return True
        if self.listener is not None:
            for role, conn, lines in self.others:
                if role == "host":
                    self._hear(conn, lines)  # "done", or "" from one that hung up
            for role, conn, lines in self.others:
                if role == "watch":
                    self._say(conn, "sample")
                    self._hear(conn, lines)
            for _role, conn, _lines in self.others:
                self._say(conn, "release")
                conn.close()
            return True
        if self.conn is None:
            return False
        with self.conn:
            self._say(self.conn, "done")
            return self._hear(self.conn, self.lines) in ("release", "")


def connect(host: str, port: int, timeout: float, rcvbuf: int = 0) -> socket.socket:
    """A TCP connection with TCP_NODELAY; `rcvbuf` fixes a small receive buffer (a slow reader)."""
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window it offers
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
    except ConnectionRefusedError:
        sock.close()
        raise Refused("connection refused") from None
    except TimeoutError:
        sock.close()
        raise Refused("connect timed out") from None
    except OSError as exc:
        sock.close()
        raise Refused(f"connect failed: {exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_exactly(sock: socket.socket, size: int, deadline: float) -> tuple[bytes, str]:
    """Read `size` bytes before `deadline`; return (what came, "" or why it stopped short)."""
    got = bytearray()
    while len(got) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(got), "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(size - len(got), 65536))
        except TimeoutError:
            return bytes(got), "timeout"
        except ConnectionResetError:
            return bytes(got), "reset"
        except OSError as exc:
            return bytes(got), f"error: {exc}"
        if not chunk:
            return bytes(got), "closed"
        got += chunk
    return bytes(got), ""


def describe_shortfall(expected: bytes, got: bytes, why: str) -> str:
    """One line on how an echo went wrong, for the learner."""
    if why == "timeout" and not got:
        return "no reply"
    if why == "timeout":
        return f"only {len(got)} of {len(expected)} bytes came back, then nothing"
    if why in ("closed", "reset"):
        return f"connection {why} by the server after {len(got)} of {len(expected)} bytes"
    if why:
        return why
    for i, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return f"wrong bytes from byte {i}: expected {expected[i:i + 24]!r}, got {got[i:i + 24]!r}"
    return "wrong bytes"


def echo_once(sock: socket.socket, payload: bytes, timeout: float) -> tuple[bool, str, float]:
    start = time.monotonic()
    sock.sendall(payload)
    got, why = read_exactly(sock, len(payload), start + timeout)
    if got == payload:
        return True, "", time.monotonic() - start
    return False, describe_shortfall(payload, got, why), time.monotonic() - start


# ---------------------------------------------------------------- steps

def step_echo(host, port, text="你好，socketlab\n", timeout=3.0):
    with connect(host, port, timeout) as sock:
        ok, error, seconds = echo_once(sock, text.encode(), timeout)
    return {"ok": ok, "error": error, "seconds": round(seconds, 3)}


def step_split(host, port, timeout=3.0):
    """'你好' is six bytes: the first segment ends inside the first character."""
    payload = "你好，世界！\n".encode()
    with connect(host, port, timeout) as sock:
        start = time.monotonic()
        sock.sendall(payload[:1])
        time.sleep(0.3)  # two TCP segments, the server's first recv sees one byte
        sock.sendall(payload[1:4])
        time.sleep(0.3)
        sock.sendall(payload[4:])
        got, why = read_exactly(sock, len(payload), start + 0.6 + timeout)
    ok = got == payload
    return {"ok": ok, "error": "" if ok else describe_shortfall(payload, got, why)}


def step_crowd(host, port, connections=10, rounds=3, timeout=4.0, hold=0.0, meet=None, tag=""):
    """N connections open at the same time; every one must get its own bytes back.

    A reply is late when no connection of this crowd has received anything for `timeout`
    seconds: a server that is slow on a busy machine keeps moving, one that serves a single
    client at a time (the iterative server) stops as soon as that one is done. The hosts of
    one crowd (and the watch on the server's host) meet before connecting; after their
    messages they keep their connections until every host is done and `hold` seconds more,
    so the server holds them all at once while the watch counts its processes and threads.
    """
    meeting = Meeting(meet)
    meeting.ready()
    socks: list[socket.socket | None] = [None] * connections
    failures: list[dict] = []
    latencies: list[float] = []
    lock = threading.Lock()
    moved = [time.monotonic()]
    ready = threading.Barrier(connections + 1)

    def fail(conn: int, rnd: int, error: str) -> None:
        with lock:
            failures.append({"conn": conn, "round": rnd, "error": error})

    def echo(sock: socket.socket, payload: bytes) -> tuple[bool, str, float]:
        start = time.monotonic()
        sock.sendall(payload)
        got = bytearray()
        sock.settimeout(0.2)
        while len(got) < len(payload):
            try:
                chunk = sock.recv(len(payload) - len(got))
            except TimeoutError:
                if time.monotonic() - moved[0] > timeout:
                    return False, describe_shortfall(payload, bytes(got), "timeout"), 0.0
                continue
            except OSError as exc:
                return False, describe_shortfall(payload, bytes(got), "reset" if isinstance(
                    exc, ConnectionResetError) else f"error: {exc}"), 0.0
            if not chunk:
                return False, describe_shortfall(payload, bytes(got), "closed"), 0.0
            got += chunk
            moved[0] = time.monotonic()
        if got != payload:
            return False, describe_shortfall(payload, bytes(got), ""), 0.0
        return True, "", time.monotonic() - start

    def client(i: int) -> None:
        try:
            socks[i] = connect(host, port, timeout)
        except Refused as exc:
            fail(i, 0, str(exc))
        try:
            ready.wait(timeout * 2)  # every connection is open before anyone speaks
        except threading.BrokenBarrierError:
            pass
        sock = socks[i]
        if sock is None:
            return
        for rnd in range(1, rounds + 1):
            head = f"[{tag}c{i:02d} r{rnd}] 你好 ".encode()
            payload = head + b"x" * ((i * 997 + rnd * 1499) % 3000) + b"\n"
            try:
                ok, error, seconds = echo(sock, payload)
            except OSError as exc:
                ok, error, seconds = False, f"send failed: {exc}", 0.0
            if not ok:
                fail(i, rnd, error)
                return
            with lock:
                latencies.append(seconds)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(connections)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout * 2 + 1)
    except threading.BrokenBarrierError:
        pass
    moved[0] = time.monotonic()
    for thread in threads:
        while thread.is_alive() and time.monotonic() - moved[0] < timeout + 5:
            thread.join(0.5)
    done = time.monotonic() - start
    meeting.all_done()
    time.sleep(hold)  # the checker counts processes and threads now
    for sock in socks:
        if sock is not None:
            sock.close()
    latencies.sort()
    return {
        "ok": not failures and len(latencies) == connections * rounds,
        "connections": connections, "rounds": rounds,
        "connected": sum(s is not None for s in socks),
        "answered": len(latencies),
        "failures": sorted(failures, key=lambda f: (f["round"], f["conn"]))[:5],
        "failed": len(failures),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "seconds": round(done, 2),
        "error": failures[0]["error"] if failures else "",
    }


def step_silent(host, port, timeout=3.0, close_within=0.0):
    """A connection that says nothing must not stop another one from being served."""
    silent = connect(host, port, timeout)
    time.sleep(0.3)  # the server has accepted it by now (and may be stuck waiting on it)
    try:
        with connect(host, port, timeout + close_within) as other:
            ok, error, seconds = echo_once(other, b"hello, I am not the silent one\n", timeout + close_within)
        result = {"ok": ok, "error": error, "seconds": round(seconds, 3)}
        if close_within and ok:
            # The server gives up on the silent client (settimeout): it sees EOF or RST.
            _got, why = read_exactly(silent, 1, time.monotonic() + close_within)
            closed = why in ("closed", "reset")
            result["silent_closed"] = closed
            if not closed:
                result.update(ok=False, error=f"the silent connection was still open after {close_within:g} s")
        return result
    finally:
        silent.close()


def step_vanish(host, port, size=65536):
    """Send, then disappear: close with SO_LINGER 0, so the server gets an RST."""
    sock = connect(host, port, 3.0)
    try:
        sock.sendall(os.urandom(size))
    except OSError:
        pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST_LINGER)
    sock.close()
    time.sleep(0.5)  # the server handles the RST now
    return {"ok": True, "error": ""}


def step_large(host, port, size=2 * 1024 * 1024, stall=3.0):
    """A large echo to a client that reads nothing until it has sent it all (or the server stops taking it).

    The replies pile up: the client's small receive window fills, then the server's send
    buffer, and the server's non-blocking send takes only part of the data, or none: it must
    keep the rest and send it once the socket is writable again. A server that stops reading
    a client who does not read (back-pressure) is fair too: when the sending makes no
    progress for a second the client starts reading, while it still sends. The step fails
    when no byte comes back for `stall` seconds.
    """
    payload = memoryview(os.urandom(size))
    sent = [0]
    failure: list[str] = []
    with connect(host, port, stall, rcvbuf=32768) as sock:
        start = time.monotonic()
        sock.settimeout(stall + 1.0)

        def send_all() -> None:
            try:
                while sent[0] < size:
                    sent[0] += sock.send(payload[sent[0]:sent[0] + 65536])
            except TimeoutError:
                failure.append("the server stopped reading what the client sent")
            except OSError as exc:
                failure.append(f"sending failed: {exc}")

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        last, moved = 0, time.monotonic()
        while sender.is_alive() and time.monotonic() - moved < 1.0:  # read nothing while sending goes on
            time.sleep(0.05)
            if sent[0] != last:
                last, moved = sent[0], time.monotonic()
        got = bytearray()
        why = ""
        while len(got) < size:
            part, why = read_exactly(sock, min(65536, size - len(got)), time.monotonic() + stall)
            got += part
            if why:
                break
        sender.join(stall)
    got = bytes(got)
    ok = got == payload
    error = "" if ok else (failure[0] if failure and not got else describe_shortfall(bytes(payload), got, why))
    return {"ok": ok, "error": error, "seconds": round(time.monotonic() - start, 2), "received": len(got)}


def step_halfclose(host, port, timeout=3.0):
    """After the client's FIN the server must close its side: every copy of the connection."""
    with connect(host, port, timeout) as sock:
        ok, error, _ = echo_once(sock, b"bye\n", timeout)
        if not ok:
            return {"ok": False, "error": error}
        sock.shutdown(socket.SHUT_WR)
        got, why = read_exactly(sock, 1, time.monotonic() + timeout)
    if why in ("closed", "reset"):
        return {"ok": True, "error": ""}
    if got:
        return {"ok": False, "error": f"unexpected data after the echo: {got!r}"}
    return {"ok": False, "error": f"no FIN from the server {timeout:g} s after the client's FIN"}


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def step_flood(host, port, connections=550, stall=3.0, limit=30.0, hold=0.5, in_flight=100, meet=None):
    """Open many connections; each asks for one echo and ends served, refused or left hanging.

    At most `in_flight` connections are unresolved at a time (a SYN flood would only overflow
    the server's accept queue). A connection that was asked and still has no answer when
    nothing has moved for `stall` seconds (or after `limit`) is left hanging: a slow server
    on a busy machine is given the time it needs, one that stopped serving is not. One still
    connecting then (its SYN dropped by a full accept queue, waiting for the retry) is counted
    apart, as unconnected. The connections stay open
    until every host is done (`meet`), so the server holds the whole flood at once.
    """
    if raise_nofile() < connections + 64:
        return {"ok": False, "error": "this client host cannot open that many descriptors"}
    meeting = Meeting(meet)
    meeting.ready()
    sel = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    counts = {"served": 0, "refused": 0, "hanging": 0, "unconnected": 0}
    pending: dict[int, str] = {}  # fd -> "connecting" | "asked"
    began = moved = time.monotonic()
    started = 0

    def settle(sock: socket.socket, outcome: str) -> None:
        nonlocal moved
        counts[outcome] += 1
        del pending[sock.fileno()]
        sel.unregister(sock)
        moved = time.monotonic()

    while (started < connections or pending) and time.monotonic() - moved < stall and time.monotonic() - began < limit:
        while started < connections and len(pending) < in_flight:
            started += 1
            sock = socket.socket()
            sock.setblocking(False)
            socks.append(sock)
            if sock.connect_ex((host, port)) not in (0, errno.EINPROGRESS):
                counts["refused"] += 1
                continue
            pending[sock.fileno()] = "connecting"
            sel.register(sock, selectors.EVENT_WRITE)
        for key, _mask in sel.select(0.2):
            sock = key.fileobj
            if pending[key.fd] == "connecting":
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    settle(sock, "refused")
                    continue
                try:
                    sock.send(b"?")
                except OSError:
                    settle(sock, "refused")
                    continue
                pending[key.fd] = "asked"
                sel.modify(sock, selectors.EVENT_READ)
                moved = time.monotonic()
                continue
            try:
                data = sock.recv(256)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            settle(sock, "served" if data == b"?" else "refused")  # EOF, RST or a "server full" line
    # Still connecting: the server's accept queue was full and the SYN waits for its retry (a slow
    # server, not a wrong one). Connected and asked, with no answer: left hanging by the server.
    counts["unconnected"] = sum(state == "connecting" for state in pending.values()) + connections - started
    counts["hanging"] = sum(state == "asked" for state in pending.values())
    seconds = round(time.monotonic() - began, 2)
    meeting.all_done()
    time.sleep(hold)
    for sock in socks:
        sock.close()
    sel.close()
    return {"ok": counts["hanging"] == 0, "error": "" if not counts["hanging"] else
            f"{counts['hanging']} connections neither served nor refused, nothing moving for {stall:g} s",
            "connections": connections, "seconds": seconds, **counts}


STEPS = {
    "echo": step_echo, "split": step_split, "crowd": step_crowd, "silent": step_silent,
    "vanish": step_vanish, "large": step_large, "halfclose": step_halfclose, "flood": step_flood,
}


def run(spec: dict) -> list[dict]:
    results = []
    for options in spec["steps"]:
        options = dict(options)
        name = options.pop("step")
        started = time.monotonic()
        try:
            result = STEPS[name](spec["host"], spec.get("port", 8888), **options)
        except Refused as exc:
            result = {"ok": False, "error": str(exc), "refused": True}
        except OSError as exc:
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        result["step"] = name
        result["elapsed"] = round(time.monotonic() - started, 2)
        results.append(result)
        if not result["ok"]:
            break
    return results


if __name__ == "__main__":
    print(json.dumps({"steps": run(json.loads(sys.argv[1]))}, ensure_ascii=False))
