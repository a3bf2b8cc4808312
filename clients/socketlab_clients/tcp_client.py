"""The notes' interactive TCP client template (section 3.3): type a line, see the reply.

    $ echo-client echo-select            # host name or IP; port 8888 by default
    >>hello
    服务器： hello
    >>                                   # an empty line quits, as in the notes

Unlike the template's single `recv(1024)`, it keeps reading until every byte
sent has come back (TCP is a stream: one recv is not one message), or until
the server stays silent for `--wait` seconds. Replies are matched to the lines
in the order they were sent, so a late reply is shown against its own line,
never against the next one.

A connection the server has not served yet is silent: connect() succeeded
(the kernel finished the handshake and queued it) but no program reads it.
That is the iterative server's lesson (notes 3.1): one client at a time, the
next one waits in the listen queue. The client says so instead of drifting.
"""

from __future__ import annotations

import socket
import sys
from collections import deque

from .interactive import exit_with, parse_target, typed_lines

WAITING = (
    "(还没有回答：服务器还没有处理这个连接。迭代服务器一次只服务一个客户端，这个连接在监听队列里等前一个客户端离开；之后回答会按顺序到来)",
    "(no reply yet: the server has not served this connection. An iterative server serves one client "
    "at a time; this one waits in the listen queue until the client before it leaves. The replies come then, "
    "in order.)",
)


class Replies:
    """The lines sent and not yet echoed; bytes that come back are matched to them in order."""

    def __init__(self) -> None:
        self.unanswered: deque[bytes] = deque()
        self.buffer = bytearray()

    @property
    def owed(self) -> int:
        return sum(len(line) for line in self.unanswered) - len(self.buffer)

    def sent(self, data: bytes) -> None:
        self.unanswered.append(data)

    def received(self, chunk: bytes) -> list[bytes]:
        """Add bytes from the server; return each line now answered in full."""
        self.buffer += chunk
        done = []
        while self.unanswered and len(self.buffer) >= len(self.unanswered[0]):
            size = len(self.unanswered.popleft())
            done.append(bytes(self.buffer[:size]))
            del self.buffer[:size]
        return done


def read_replies(sock: socket.socket, replies: Replies, wait: float) -> tuple[list[bytes], bool]:
    """Read until nothing is owed or the server goes quiet for `wait` s; (answered lines, server closed)."""
    sock.settimeout(wait)
    answered: list[bytes] = []
    try:
        while replies.owed > 0:
            chunk = sock.recv(65536)
            if not chunk:
                return answered, True
            answered += replies.received(chunk)
    except TimeoutError:
        pass
    return answered, False


def main(argv: list[str] | None = None) -> int:
    args = parse_target("echo-client", "interactive TCP client (notes 3.3)", argv)
    try:
        sock = socket.create_connection((args.host, args.port), timeout=5)
    except OSError as exc:
        print(f"cannot connect to {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    replies = Replies()
    told = False
    with sock:
        print(f"connected {sock.getsockname()[0]}:{sock.getsockname()[1]} -> {args.host}:{args.port}", flush=True)
        for msg in typed_lines():
            data = msg.encode()
            try:
                sock.sendall(data)
                replies.sent(data)
                answered, closed = read_replies(sock, replies, args.wait)
            except OSError as exc:
                print(f"connection lost: {exc}", file=sys.stderr)
                return 1
            for line in answered:
                print("服务器：", line.decode(errors="replace"), flush=True)
            if closed:
                print("服务器关闭了连接 / the server closed the connection", flush=True)
                return 1
            if replies.unanswered:
                waiting = len(replies.unanswered)
                if not told:
                    print(*WAITING, sep="\n", flush=True)
                    told = True
                else:
                    print(f"(仍在等待：{waiting} 行没有回答 / still waiting: {waiting} line(s) unanswered)", flush=True)
            else:
                told = False
    print("客户端退出")
    return 0


if __name__ == "__main__":
    exit_with(main)
