"""Can this host reach that address? ``python3 -m socketlab_common.reach tcp:10.77.1.30:9002 ...``

Run on any lab host (client image and service images both carry it), it tries
every target at once and prints one JSON object per target::

    {"target": "tcp:10.77.1.30:9002", "outcome": "reply", "reply": "bind=... you=...", "seconds": 0.003}

Outcomes say *how* a target was not reached, since each teaches something:
``refused`` (the host answered: nothing listens on that address and port —
a TCP RST or ICMP port unreachable), ``unreachable`` (no route to that
network at all), ``timeout`` (packets vanished: filtered, or UDP with nobody
answering). A TCP target counts as reached only if a reply line came back.
"""

from __future__ import annotations

import errno
import json
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 2.0
UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}


def parse_target(text: str) -> tuple[str, str, int]:
    """``"tcp:10.77.1.30:9002"`` -> ("tcp", "10.77.1.30", 9002)."""
    proto, _, rest = text.partition(":")
    host, _, port = rest.rpartition(":")
    if proto not in ("tcp", "udp") or not host or not port.isdigit():
        raise ValueError(f"target must look like tcp:HOST:PORT or udp:HOST:PORT, not {text!r}")
    return proto, host, int(port)


def _probe_tcp(host: str, port: int, timeout: float) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        data = b""
        while not data.endswith(b"\n") and (chunk := sock.recv(512)):
            data += chunk
        return data


def _probe_udp(host: str, port: int, timeout: float) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((host, port))  # connected: an ICMP port unreachable surfaces as ECONNREFUSED
        sock.send(b"which bind are you?")
        return sock.recv(512)


def probe(target: str, timeout: float = TIMEOUT) -> dict:
    """Try one target; never raises for network outcomes."""
    proto, host, port = parse_target(target)
    started = time.monotonic()
    result: dict = {"target": target}
    try:
        data = (_probe_tcp if proto == "tcp" else _probe_udp)(host, port, timeout)
        result.update(outcome="reply" if data else "closed", reply=data.decode(errors="replace").strip())
    except ConnectionRefusedError:
        result["outcome"] = "refused"
    except TimeoutError:
        result["outcome"] = "timeout"
    except OSError as exc:
        result["outcome"] = "unreachable" if exc.errno in UNREACHABLE else "error"
        result["detail"] = f"{type(exc).__name__}: {exc}"
    result["seconds"] = round(time.monotonic() - started, 3)
    return result


def main(argv: list[str]) -> int:
    timeout = TIMEOUT
    if argv[:1] == ["--timeout"]:
        timeout, argv = float(argv[1]), argv[2:]
    try:
        for target in argv:
            parse_target(target)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not argv:
        print("usage: reach [--timeout S] tcp:HOST:PORT|udp:HOST:PORT ...", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(max_workers=len(argv)) as pool:
        for result in pool.map(lambda t: probe(t, timeout), argv):
            print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
