"""A client that is still sending when the server answers: what it manages to send and to read.

The check of lingering close (RFC 9112 9.6). The client sends the start of
a request the server must refuse, waits until the answer begins to arrive,
then sends the rest, and only then reads to the end. A server that closes
at once with unread input makes its kernel answer the late bytes with a
reset, so `sendall` fails (EPIPE / ECONNRESET) and the answer is lost; a
lingering server keeps reading and discarding, and the client reads the
whole answer and a clean end of stream. The send buffer is kept well below
the late bytes so they cannot hide in it: the reset, if any, reaches `sendall`.

Standard library only: the unit tests import it, the integration tests run
its source with ``python3 -c`` on a client host, and it runs by hand:
``python3 tests/lingering_client.py HOST PORT long-line|big-body|forever``.
"""

from __future__ import annotations

import json
import select
import socket
import sys

LONG_LINE_BYTES = 100 * 1024
BIG_BODY_BYTES = 10 * 1024 * 1024
FOREVER_CAP = 1024 * 1024 * 1024
"""The 'forever' client gives up here: a server that never cuts it off fails the check."""

CASES: dict[str, tuple[bytes, bytes, int]] = {
    # 16 KiB of the line (past the 8 KiB limit) first; the other 84 KiB after the 414 has begun.
    "long-line": (b"GET /" + b"a" * (16 * 1024),
                  b"a" * (LONG_LINE_BYTES - 16 * 1024 - 5) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 8 * 1024),
    "big-body": (f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {BIG_BODY_BYTES}\r\n\r\n".encode(),
                 b"b" * BIG_BODY_BYTES, 128 * 1024),
}
"""name -> (bytes sent first, bytes sent once the answer has begun, SO_SNDBUF; Linux doubles it)."""


def refused_while_sending(host: str, port: int, first: bytes, rest: bytes, sndbuf: int, *,
                          timeout: float = 60.0, forever: bool = False) -> dict:
    """Send `first`, wait for the answer to begin, send `rest` (or, `forever`, keep sending), read to the end.

    Returns status (of the one response), whether its body was complete, whether the stream then
    ended cleanly, the send error if any, and the bytes sent after the answer began.
    """
    result: dict = {"status": None, "complete": False, "clean_eof": False, "send_error": None, "late_sent": 0}
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        sock.settimeout(timeout)
        sock.connect((host, port))
        sock.sendall(first)
        if not select.select([sock], [], [], timeout)[0]:
            result["send_error"] = "no answer began"
            return result
        try:
            if forever:
                chunk = b"f" * 65536
                while result["late_sent"] < FOREVER_CAP:
                    result["late_sent"] += sock.send(chunk)
            else:
                sock.sendall(rest)
                result["late_sent"] = len(rest)
        except OSError as exc:
            result["send_error"] = f"{type(exc).__name__}: {exc}"
        data = bytearray()
        try:
            while chunk := sock.recv(65536):
                data += chunk
            result["clean_eof"] = True
        except OSError as exc:
            result["recv_error"] = f"{type(exc).__name__}: {exc}"
        result.update(_parse(bytes(data)))
    finally:
        sock.close()
    return result


def _parse(data: bytes) -> dict:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return {"status": None, "complete": False, "received": len(data)}
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    length = int(fields.get("Content-Length", "-1"))
    return {"status": int(lines[0].split(" ")[1]), "complete": len(body) == length,
            "connection": fields.get("Connection"), "received": len(data)}


def main(argv: list[str]) -> int:
    host, port, case = argv[0], int(argv[1]), argv[2]
    if case == "forever":
        first, _rest, sndbuf = CASES["big-body"]
        outcome = refused_while_sending(host, port, first, b"", sndbuf, forever=True)
    else:
        outcome = refused_while_sending(host, port, *CASES[case])
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
