"""Check an echo server end to end: send random bytes, read them back, compare.

    $ echo-check echo-epoll --bytes 1048576 --connections 4
    {"ok": true, "connections": 4, "bytes": 1048576, "seconds": 0.21, ...}

Sending and receiving run at the same time (a sender thread per connection):
a payload larger than the socket buffers would otherwise deadlock against
any correct echo server, since it stops reading while its replies are not
being read. Prints one JSON line; exit status 0 only if every byte matched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

CHUNK = 64 * 1024


def echo_roundtrip(host: str, port: int, payload: bytes, timeout: float = 30.0) -> bytes:
    """Send `payload`, half-close, and return everything the server sent back until EOF."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        failure: list[BaseException] = []

        def send_all() -> None:
            try:
                view = memoryview(payload)
                for start in range(0, len(view), CHUNK):
                    sock.sendall(view[start:start + CHUNK])
                sock.shutdown(socket.SHUT_WR)
            except BaseException as exc:  # reported by the caller
                failure.append(exc)

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        received = bytearray()
        while chunk := sock.recv(CHUNK):
            received += chunk
        sender.join(timeout)
        if failure:
            raise failure[0]
        return bytes(received)


def check(host: str, port: int, size: int, connections: int, timeout: float) -> dict:
    payloads = [os.urandom(size) for _ in range(connections)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        futures = [pool.submit(echo_roundtrip, host, port, p, timeout) for p in payloads]
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
    sys.exit(main())
