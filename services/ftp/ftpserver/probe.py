"""Healthcheck: ``python3 -m ftpserver.probe [PORT]`` expects a 220 greeting, then QUITs.

It speaks from the probes' own address, which the command log leaves out.
"""

from __future__ import annotations

import sys

from socketlab_common.probe import probe_connection


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 21
    try:
        with probe_connection("127.0.0.1", port, timeout=3) as sock:
            greeting = sock.makefile("rb").readline()
            if not greeting.startswith(b"220"):
                print(f"unhealthy: greeting {greeting[:80]!r}", file=sys.stderr)
                return 1
            sock.sendall(b"QUIT\r\n")
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
