"""HTTP/1.1 request heads parsed from a byte stream, with no socket in sight.

`RequestParser` is fed whatever `recv` returned (a whole request, several
pipelined ones, or one byte) and hands back complete requests in order. It
enforces the limits that keep one client from eating the server's memory:

* request line longer than `Limits.max_request_line` bytes -> 414
* header block (request line included) longer than `Limits.max_header_bytes`
  bytes, or more than `Limits.max_headers` fields -> 431
* a body longer than `Limits.max_body` -> 413; shorter bodies (Content-Length)
  are read and discarded so the next pipelined request starts where it should
* `Transfer-Encoding` (chunked bodies) -> 400: a static server has no use for
  them and guessing where such a body ends is how request smuggling starts

Any of these is fatal: the parser stops reading and the connection is closed
after the error response, because the stream position is no longer trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN_CHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_TOKEN = re.compile(_TOKEN_CHARS + r"\Z")
_VERSION = re.compile(r"HTTP/([0-9])\.([0-9])\Z")
_REQUEST_LINE = re.compile(rf"({_TOKEN_CHARS}) ([\x21-\x7e]+) HTTP/1\.([0-9])\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_HEAD = re.compile(
    rf"({_TOKEN_CHARS}) ([\x21-\x7e]+) HTTP/1\.([0-9])((?:\r\n{_TOKEN_CHARS}:[\t\x20-\x7e\x80-\xff]*)*)\r\Z")
"""A head in the shape nearly every client sends: CRLF line ends, no control characters, no folding.

One match proves all that for the whole head at once, so only the field
split is left to Python; anything else takes the slower path that names the error.
"""
_DIGITS = re.compile(r"[0-9]+\Z")
_HEAD_END = re.compile(rb"\n\r?\n")
_CR_LF = (13, 10)


@dataclass(frozen=True)
class Limits:
    """Size limits for one request; the defaults match common servers (nginx: 8 KiB lines)."""

    max_request_line: int = 8 * 1024
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    max_body: int = 64 * 1024


class ParseError(Exception):
    """A request the server must refuse; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(slots=True)
class Request:
    """One parsed request head. Header names are lower-case; repeated fields are joined by ", "."""

    method: str
    target: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    keep_alive: bool = True
    body_length: int = 0

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target} {self.version}"


class RequestParser:
    """Incremental parser: `feed` bytes, then call `next_request` until it returns None."""

    __slots__ = ("_body_left", "_buf", "_dead", "_limits", "_scanned")

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or Limits()
        self._buf = bytearray()
        self._scanned = 0          # bytes of _buf already searched for the end of the head
        self._body_left = 0        # bytes of a request body still to discard
        self._dead = False

    def feed(self, data: bytes) -> None:
        if not self._dead:
            self._buf += data

    @property
    def has_partial(self) -> bool:
        """True while bytes of an unfinished request (or body) are buffered."""
        return bool(self._buf) or self._body_left > 0

    def next_request(self) -> Request | None:
        """Return the next complete request, None if more bytes are needed.

        Raises ParseError for a request that must be refused; the parser is
        then dead and ignores all further input.
        """
        if self._dead or not self.has_partial:
            return None
        try:
            return self._next()
        except ParseError:
            self._dead = True
            self._buf.clear()
            raise

    def _next(self) -> Request | None:
        buf = self._buf
        if self._body_left:
            skip = min(self._body_left, len(buf))
            del buf[:skip]
            self._body_left -= skip
            if self._body_left:
                return None
        # RFC 9112 2.2: ignore empty lines received before a request line.
        while buf and buf[0] in _CR_LF:
            if buf[:2] == b"\r\n":
                del buf[:2]
            elif buf[:1] == b"\n":
                del buf[:1]
            elif len(buf) == 1:
                return None    # a lone CR: wait to see whether LF follows
            else:
                raise ParseError(400, "stray carriage return")
            self._scanned = 0
        if not buf:
            return None
        # The empty line ending the head; bare LF line endings are accepted too (RFC 9112 2.2
        # allows it): people type them into nc.
        end = _HEAD_END.search(buf, max(self._scanned - 2, 0))
        if end is None:
            self._scanned = len(buf)
            self._check_incomplete()
            return None
        text = buf[:end.start()].decode("latin-1")   # one decode; header values are latin-1 (RFC 9110 5.5)
        del buf[:end.end()]
        self._scanned = 0
        request = self._parse_head(text)
        if request.body_length:
            self._body_left = request.body_length
            self._next_body_only()
        return request

    def _next_body_only(self) -> None:
        skip = min(self._body_left, len(self._buf))
        del self._buf[:skip]
        self._body_left -= skip

    def _check_incomplete(self) -> None:
        limits, buf = self._limits, self._buf
        newline = buf.find(b"\n")
        line_end = len(buf) if newline < 0 else newline
        line_length = line_end - 1 if buf[line_end - 1:line_end] == b"\r" else line_end   # CR is not the line
        if line_length > limits.max_request_line:
            raise ParseError(414, f"request line longer than {limits.max_request_line} bytes")
        if len(buf) > limits.max_header_bytes:
            raise ParseError(431, f"request header block longer than {limits.max_header_bytes} bytes")

    def _parse_head(self, text: str) -> Request:
        """A complete head (latin-1 text, one character per byte, without its final empty line)."""
        limits = self._limits
        if len(text) > limits.max_header_bytes:
            first = text.find("\n")
            if first > limits.max_request_line or first < 0:
                raise ParseError(414, f"request line longer than {limits.max_request_line} bytes")
            raise ParseError(431, f"request header block longer than {limits.max_header_bytes} bytes")
        plain = _PLAIN_HEAD.match(text)
        if plain is not None:
            method, target, minor, fields = plain.groups()
            if len(method) + len(target) + 10 <= limits.max_request_line:   # "M T HTTP/1.x"
                lines = fields.split("\r\n")   # lines[0] is "": the fields start after the request line
                if len(lines) - 1 <= limits.max_headers:
                    request = Request(method, target, "HTTP/1.0" if minor == "0" else "HTTP/1.1",
                                      _parse_fields(lines, validated=True))
                    self._check_framing(request, minor)
                    return request
        lines = text.split("\n")
        line = lines[0].removesuffix("\r")
        if len(line) > limits.max_request_line:
            raise ParseError(414, f"request line longer than {limits.max_request_line} bytes")
        if len(lines) - 1 > limits.max_headers:
            raise ParseError(431, f"more than {limits.max_headers} header fields")
        match = _REQUEST_LINE.match(line)
        if match is None:
            _diagnose_request_line(line)
        method, target, minor = match.groups()
        if _CONTROL.search(text) or _has_bare_cr(text):
            raise ParseError(400, "control character in the request head")
        headers = _parse_fields(lines)
        request = Request(method, target, "HTTP/1.0" if minor == "0" else "HTTP/1.1", headers)
        self._check_framing(request, minor)
        return request

    def _check_framing(self, request: Request, minor: str) -> None:
        headers = request.headers
        if minor != "0" and "host" not in headers:
            raise ParseError(400, "HTTP/1.1 request without Host")
        if "transfer-encoding" in headers:
            raise ParseError(400, "request bodies with Transfer-Encoding are not accepted")
        length = headers.get("content-length")
        if length is not None:
            values = {v.strip() for v in length.split(",")}
            if len(values) != 1 or not _DIGITS.match(next(iter(values))):
                raise ParseError(400, "invalid Content-Length")
            body = int(values.pop())
            if body > self._limits.max_body:
                raise ParseError(413, f"request body longer than {self._limits.max_body} bytes")
            request.body_length = body
        connection = headers.get("connection")
        if connection is None:
            request.keep_alive = minor != "0"
        else:
            tokens = {t.strip().lower() for t in connection.split(",")}
            request.keep_alive = "keep-alive" in tokens if minor == "0" else "close" not in tokens


def _parse_fields(lines: list[str], *, validated: bool = False) -> dict[str, str]:
    """Header fields (lines[1:]) into a dict; repeated names are joined with ", " (RFC 9110 5.3).

    Split with `partition` rather than one regex per line: this runs for every
    header of every request, and a name already seen valid is looked up, not re-checked.
    `validated`: the lines already matched _PLAIN_HEAD (no CR left, every name a token).
    """
    headers: dict[str, str] = {}
    names = _KNOWN_NAMES
    for i in range(1, len(lines)):
        raw = lines[i]
        if not validated and raw[-1:] == "\r":
            raw = raw[:-1]
        name, colon, value = raw.partition(":")
        key = names.get(name)
        if key is None:
            if not validated and (not colon or not _TOKEN.match(name)):
                if raw[:1] in (" ", "\t"):
                    raise ParseError(400, "obsolete header line folding")
                raise ParseError(400, "malformed header field")
            key = name.lower()
            if len(names) < _KNOWN_NAMES_MAX:
                names[name] = key
        value = value.strip(" \t")
        if key in headers:
            if key == "host":
                raise ParseError(400, "more than one Host header")
            headers[key] = f"{headers[key]}, {value}"
        else:
            headers[key] = value
    return headers


_KNOWN_NAMES: dict[str, str] = {}
"""Header names as sent -> lower case, for names already validated as tokens (bounded)."""
_KNOWN_NAMES_MAX = 512


def _has_bare_cr(text: str) -> bool:
    """A CR not followed by LF (the head's own last CR aside): a smuggling vector, refused."""
    if "\r" not in text:
        return False
    return "\r" in text.replace("\r\n", "").removesuffix("\r")


def _diagnose_request_line(line: str) -> None:
    """Raise the precise error for a request line the fast pattern rejected."""
    parts = line.split(" ")
    if len(parts) != 3 or not all(parts):
        raise ParseError(400, "malformed request line")
    method, _target, version = parts
    if not _TOKEN.match(method):
        raise ParseError(400, "malformed method")
    match = _VERSION.match(version)
    if not match:
        raise ParseError(400, "malformed HTTP version")
    if match.group(1) != "1":
        raise ParseError(505, "only HTTP/1.x is supported")
    raise ParseError(400, "request target must be visible ASCII")
