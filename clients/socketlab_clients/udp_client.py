"""The notes' UDP client (section 1.2.3): each line is one datagram; print the reply.

    $ udp-client echo-udp               # port 8888 by default
    >>hello
    从服务端收到： hello

UDP has no connection: if the reply is lost (or nothing listens) no error
comes back over the wire, so the client waits `--wait` seconds and says so.
"""

from __future__ import annotations

import socket
import sys

from .interactive import exit_with, parse_target, typed_lines

MAX_DATAGRAM = 65507


def main(argv: list[str] | None = None) -> int:
    args = parse_target("udp-client", "interactive UDP client (notes 1.2.3)", argv)
    try:
        address = (socket.gethostbyname(args.host), args.port)
    except OSError as exc:
        print(f"cannot resolve {args.host}: {exc}", file=sys.stderr)
        return 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(args.wait)
        for msg in typed_lines():
            sock.sendto(msg.encode(), address)
            try:
                data, _addr = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                print("(no reply: the datagram or its answer was lost, or nothing listens)")
                continue
            except ConnectionRefusedError:
                print("(port unreachable: nothing listens there)")
                continue
            print("从服务端收到：", data.decode(errors="replace"))
    return 0


if __name__ == "__main__":
    exit_with(main)
