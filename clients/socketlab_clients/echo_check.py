"""Check an echo server end to end: send random bytes, read them back, compare.

    $ echo-check echo-epoll --bytes 1048576 --connections 4
    {"ok": true, "connections": 4, "bytes": 1048576, "seconds": 0.21, ...}

Each connection is one `socketlab_common.wire.echo.tcp_roundtrip` (sending and
receiving at once, so a payload larger than the socket buffers cannot deadlock).
Prints one JSON line; exit status 0 only if every byte matched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

from socketlab_common.wire.echo import tcp_roundtrip

from .interactive import exit_with


def check(host: str, port: int, size: int, connections: int, timeout: float) -> dict:
    payloads = [os.urandom(size) for _ in range(connections)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        futures = [pool.submit(tcp_roundtrip, host, port, p, timeout) for p in payloads]
        errors, mismatches = [], 0
        for payload, future in zip(payloads, futures, strict=True):
            try:
                echoed = future.result()
            except OSError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if hashlib.sha256(echoed).digest() != hashlib.sha256(payload).digest():
                mismatches += 1
    return {
        "ok": not errors and mismatches == 0,
        "host": host, "port": port, "connections": connections, "bytes": size,
        "mismatches": mismatches, "errors": errors,
        "seconds": round(time.monotonic() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="echo-check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int, nargs="?", default=8888)
    parser.add_argument("--bytes", type=int, default=1 << 20, help="payload per connection")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    result = check(args.host, args.port, args.bytes, args.connections, args.timeout)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    exit_with(main)
