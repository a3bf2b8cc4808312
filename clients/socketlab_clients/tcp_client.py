"""The notes' interactive TCP client template (section 3.3): type a line, see the reply.

    $ echo-client echo-select            # host name or IP; port 8888 by default
    >>hello
    服务器： hello
    >>                                   # an empty line quits, as in the notes

Unlike the template's single `recv(1024)`, it keeps reading until as many
bytes came back as were sent (TCP is a stream: one recv is not one message),
or until the server stays silent for `--wait` seconds.
"""

from __future__ import annotations

import socket
import sys

from .interactive import exit_with, parse_target, typed_lines


def read_reply(sock: socket.socket, expected: int, wait: float) -> bytes:
    """Read up to `expected` bytes, stopping early if the server goes quiet or closes."""
    sock.settimeout(wait)
    reply = bytearray()
    try:
        while len(reply) < expected:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    except TimeoutError:
        pass
    return bytes(reply)


def main(argv: list[str] | None = None) -> int:
    args = parse_target("echo-client", "interactive TCP client (notes 3.3)", argv)
    try:
        sock = socket.create_connection((args.host, args.port), timeout=5)
    except OSError as exc:
        print(f"cannot connect to {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    with sock:
        print(f"connected {sock.getsockname()[0]}:{sock.getsockname()[1]} -> {args.host}:{args.port}")
        for msg in typed_lines():
            data = msg.encode()
            try:
                sock.sendall(data)
                reply = read_reply(sock, len(data), args.wait)
            except OSError as exc:
                print(f"connection lost: {exc}", file=sys.stderr)
                return 1
            print("服务器：", reply.decode(errors="replace") if reply else "(no reply)")
    print("客户端退出")
    return 0


if __name__ == "__main__":
    exit_with(main)
