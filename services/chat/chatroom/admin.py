"""``chat-admin``: the administrator's tool, run inside the chat container.

    $ docker compose exec chat chat-admin "今晚八点维护"     # everyone sees 管理员消息: 今晚八点维护
    $ docker compose exec chat chat-admin --who              # who is in, from which address
    $ docker compose exec chat chat-admin --stats            # the server's counters

It talks to the server's admin socket, bound to 127.0.0.1 (the notes' bind
lesson, section 1.1.3): a socket bound to the loopback address accepts only
datagrams from the same host, so only someone already inside the container
can announce, while the room's socket on 0.0.0.0 serves the whole network.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

TIMEOUT = 3.0


def admin_request(payload: bytes, host: str, port: int, timeout: float = TIMEOUT) -> str:
    """Send one admin datagram and return the reply (no retry: an announcement must not repeat)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, (host, port))
        data, _ = sock.recvfrom(65535)
    return data.decode("utf-8", "replace")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chat-admin", description="announce to the chat room (管理员消息)")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("text", nargs="?", help="the announcement")
    group.add_argument("--who", action="store_true", help="list the members")
    group.add_argument("--stats", action="store_true", help="print the server's counters")
    parser.add_argument("--host", default=os.environ.get("CHAT_ADMIN_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHAT_ADMIN_PORT", "8001")))
    args = parser.parse_args(argv)
    payload = b"W" if args.who else b"S" if args.stats else f"A {args.text}".encode()
    try:
        reply = admin_request(payload, args.host, args.port)
    except OSError as exc:
        print(f"chat-admin: no answer from {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if reply.startswith("OK"):
        if args.text is not None:
            print(f"announced to {reply.removeprefix('OK').strip()} members")
        else:
            if args.who and reply.split("\n", 1)[0] == "OK 0":
                print("聊天室里现在没有人。\nNobody is in the room.")
            else:
                print(reply.removeprefix("OK ").split("\n", 1)[-1] if args.who else reply.removeprefix("OK "))
        return 0
    print(f"chat-admin: {reply}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
