"""Container healthcheck: ``python3 -m webserver.probe [PORT]`` succeeds when ``HEAD /`` answers 200.

It speaks from the probes' own address, which the access log leaves out.
"""

from __future__ import annotations

import sys

from socketlab_common.probe import probe_connection


def main(argv: list[str]) -> int:
    port = int(argv[0]) if argv else 8000
    try:
        with probe_connection("127.0.0.1", port) as sock:
            sock.sendall(b"HEAD / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: healthcheck\r\nConnection: close\r\n\r\n")
            status = sock.recv(64).split(b"\r\n", 1)[0]
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if not status.startswith(b"HTTP/1.1 200 "):
        print(f"unhealthy: {status!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
