"""Response heads, error pages, HTTP dates and the access log: formatting only, no I/O decisions."""

from __future__ import annotations

import threading
import time
from collections import deque
from email.utils import formatdate, parsedate_to_datetime
from typing import TextIO

SERVER = "socketlab-web"

REASONS = {
    200: "OK", 206: "Partial Content", 301: "Moved Permanently", 304: "Not Modified",
    400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 412: "Precondition Failed",
    413: "Content Too Large", 414: "URI Too Long", 416: "Range Not Satisfiable", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
}

_date_second = -1
_date_text = ""
_log_second = -1
_log_text = ""


def http_date() -> str:
    """The current IMF-fixdate, formatted once per second (every response carries one)."""
    global _date_second, _date_text
    now = int(time.time())
    if now != _date_second:
        _date_second, _date_text = now, formatdate(now, usegmt=True)
    return _date_text


def log_date() -> str:
    """The current time in common log format: ``[10/Oct/2000:13:55:36 +0000]``."""
    global _log_second, _log_text
    now = int(time.time())
    if now != _log_second:
        _log_second = now
        _log_text = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime(now))
    return _log_text


def parse_http_date(text: str) -> int | None:
    """Seconds since the epoch for an HTTP date (any of the three RFC 9110 forms), None if invalid."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return int(parsed.timestamp())


def head(status: int, fields: list[tuple[str, str]] | tuple = (), *, close: bool = False,
         keep_alive_header: bool = False) -> bytes:
    """Encode a status line and header fields (plus Date, Server and Connection) as bytes."""
    lines = [f"HTTP/1.1 {status} {REASONS[status]}", f"Date: {http_date()}", f"Server: {SERVER}"]
    lines.extend(f"{name}: {value}" for name, value in fields)
    if close:
        lines.append("Connection: close")
    elif keep_alive_header:
        lines.append("Connection: keep-alive")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


def error_page(status: int, detail: str = "") -> bytes:
    """A small HTML page for an error status."""
    title = f"{status} {REASONS[status]}"
    extra = f"<p>{_escape(detail)}</p>" if detail else ""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{extra}<hr><p>{SERVER}</p></body></html>\n").encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class AccessLog:
    """Common log format lines, buffered so logging does not cost a system call per request.

    Lines are written when 64 KiB have collected or when `flush` is called;
    the server calls `flush` from a timer (see server.py), so an idle server's
    last lines appear within a fraction of a second. `log` takes no lock:
    `deque.append` and `popleft` are atomic, so the thread model's workers and
    the flushing timer never lose or tear a line; the byte count that triggers
    a flush is approximate under races, which moves a flush by a line or two.
    """

    def __init__(self, stream: TextIO | None, buffer_bytes: int = 64 * 1024) -> None:
        self._stream = stream
        self._lines: deque[str] = deque()
        self._size = 0
        self._limit = buffer_bytes
        self.enabled = stream is not None
        self._flushing = threading.Lock()

    def log(self, peer: tuple, request_line: str, status: int, size: int) -> None:
        if self._stream is None:
            return
        line = f'{peer[0] if peer else "-"} - - {log_date()} "{request_line}" {status} {size if size else "-"}\n'
        self._lines.append(line)
        self._size += len(line)
        if self._size >= self._limit:
            self.flush()

    def flush(self) -> None:
        lines, stream = self._lines, self._stream
        if not lines or stream is None:
            return
        with self._flushing:   # rare (64 KiB or a timer tick): two flushes write in order
            self._size = 0
            taken = []
            while lines:
                taken.append(lines.popleft())
            try:
                stream.write("".join(taken))
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed or full log stream must not take the server down
