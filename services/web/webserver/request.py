"""HTTP/1.1 request heads parsed from a byte stream, with no socket in sight.

`RequestParser` is fed whatever `recv` returned (a whole request, several
pipelined ones, or one byte) and hands back complete requests in order. It
enforces the limits that keep one client from eating the server's memory:

* request line longer than `Limits.max_request_line` bytes -> 414
* header block (request line included) longer than `Limits.max_header_bytes`
  bytes, or more than `Limits.max_headers` fields -> 431
* a body longer than `Limits.max_body` -> 413; shorter bodies are read and
  discarded so the next pipelined request starts where it should, whether
  framed by Content-Length or chunked (RFC 9112 7.1: the request comes out once
  its last chunk and trailers are in, so a chunked body over the limit is
  refused before any answer)
* framing that cannot be trusted -> 400: Transfer-Encoding with Content-Length,
  in HTTP/1.0, or without `chunked` last (RFC 9112 6.3); a transfer coding other
  than chunked -> 501. Guessing where such a body ends is how smuggling starts.
* a request line that is complete but not HTTP/1.x (an HTTP/0.9 `GET /`, a
  missing version) is refused as soon as its newline arrives, not after the
  header timeout; a Host value that is not `host[:port]` -> 400 (RFC 9112 3.2)

Any of these is fatal: the parser stops reading and the connection is closed
after the error response, because the stream position is no longer trusted.
The one exception type is `ParseError`; any other exception is a bug.
"""

from __future__ import annotations

import ipaddress
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
_CHUNK_SIZE = re.compile(rb"(0*[0-9A-Fa-f]{1,16})(?:[ \t]*;[\t\x20-\x7e\x80-\xff]*)?\Z")
"""A chunk-size line (RFC 9112 7.1): hex digits, then extensions (ignored) after BWS and ";"."""
_TRAILER_FIELD = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e\x80-\xff]*\Z")
MAX_CHUNK_LINE = 4096
"""Longest chunk-size line (extensions included); nginx and h11 refuse far shorter ones than this."""
_REG_NAME_PORT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*(?::[0-9]*)?\Z")
_IP_LITERAL_PORT = re.compile(r"\[([^\]]*)\](?::[0-9]*)?\Z")
_IP_FUTURE = re.compile(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\Z")
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
    body_length: int = 0   # bytes of body (decoded size for a chunked one), read and discarded
    chunked: bool = False

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target} {self.version}"


class _ChunkedBody:
    """Where a chunked body stands: which part comes next, and how much has been seen."""

    __slots__ = ("left", "request", "state", "total", "trailer_bytes")

    SIZE, DATA, DATA_END, TRAILER = range(4)

    def __init__(self, request: Request) -> None:
        self.request = request
        self.state = self.SIZE
        self.left = 0            # bytes of the current chunk's data still to come
        self.total = 0           # decoded body bytes so far
        self.trailer_bytes = 0


class RequestParser:
    """Incremental parser: `feed` bytes, then call `next_request` until it returns None."""

    __slots__ = ("_body_left", "_buf", "_chunked", "_dead", "_limits", "_line_checked", "_scanned")

    def __init__(self, limits: Limits | None = None) -> None:
        self._limits = limits or Limits()
        self._buf = bytearray()
        self._scanned = 0          # bytes of _buf already searched for the end of the head
        self._body_left = 0        # bytes of a Content-Length body still to discard
        self._chunked: _ChunkedBody | None = None   # a chunked body being read
        self._line_checked = False  # the current head's request line is complete and valid
        self._dead = False

    def feed(self, data: bytes) -> None:
        if not self._dead:
            self._buf += data

    @property
    def has_partial(self) -> bool:
        """True while bytes of an unfinished request (or body) are buffered."""
        return bool(self._buf) or self._body_left > 0 or self._chunked is not None

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
            self._chunked = None
            self._body_left = 0
            raise

    def _next(self) -> Request | None:
        buf = self._buf
        if self._body_left:
            skip = min(self._body_left, len(buf))
            del buf[:skip]
            self._body_left -= skip
            if self._body_left:
                return None
        if self._chunked is not None:
            return self._read_chunked()
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
        self._line_checked = False
        request = self._parse_head(text)
        if request.chunked:
            self._chunked = _ChunkedBody(request)
            return self._read_chunked()
        if request.body_length:
            self._body_left = request.body_length
            self._next_body_only()
        return request

    def _next_body_only(self) -> None:
        skip = min(self._body_left, len(self._buf))
        del self._buf[:skip]
        self._body_left -= skip

    def _read_chunked(self) -> Request | None:
        """Consume a chunked body (RFC 9112 7.1) as far as the buffer goes; its request once it is whole.

        Chunk data and trailers are discarded. Line ends inside the framing
        must be CRLF: a bare LF here is refused, since lenient chunk parsing
        is the classic smuggling vector.
        """
        body, buf, limits = self._chunked, self._buf, self._limits
        while True:
            if body.state == body.DATA:
                take = min(body.left, len(buf))
                del buf[:take]
                body.left -= take
                if body.left:
                    return None
                body.state = body.DATA_END
            elif body.state == body.DATA_END:
                if len(buf) < 2:
                    if buf[:1] not in (b"", b"\r"):
                        raise ParseError(400, "chunk data longer than its size")
                    return None
                if buf[:2] != b"\r\n":
                    raise ParseError(400, "chunk data longer than its size")
                del buf[:2]
                body.state = body.SIZE
            else:
                end = buf.find(b"\r\n", 0, MAX_CHUNK_LINE + 2)
                if end < 0:
                    if b"\n" in buf[:MAX_CHUNK_LINE + 2]:
                        raise ParseError(400, "chunked framing line without CRLF")
                    if len(buf) > MAX_CHUNK_LINE + 1:   # a full-length line and its CR may wait for the LF
                        raise ParseError(400, f"chunked framing line longer than {MAX_CHUNK_LINE} bytes")
                    return None
                line = bytes(buf[:end])
                del buf[:end + 2]
                if body.state == body.SIZE:
                    match = _CHUNK_SIZE.match(line)
                    if match is None:
                        raise ParseError(400, "malformed chunk size")
                    size = int(match.group(1), 16)
                    body.total += size
                    if body.total > limits.max_body:
                        raise ParseError(413, f"request body longer than {limits.max_body} bytes")
                    body.left = size
                    body.state = body.DATA if size else body.TRAILER
                elif line:
                    body.trailer_bytes += len(line) + 2
                    if body.trailer_bytes > limits.max_header_bytes:
                        raise ParseError(431, f"trailer section longer than {limits.max_header_bytes} bytes")
                    if not _TRAILER_FIELD.match(line):
                        raise ParseError(400, "malformed trailer field")
                else:   # the empty line after the trailers: the message is complete
                    request = body.request
                    request.body_length = body.total
                    self._chunked = None
                    return request

    def _check_incomplete(self) -> None:
        """Refuse an unfinished head as early as its bytes allow: too long, or a bad request line."""
        limits, buf = self._limits, self._buf
        if not self._line_checked:
            newline = buf.find(b"\n")
            line_end = len(buf) if newline < 0 else newline
            line_length = line_end - 1 if buf[line_end - 1:line_end] == b"\r" else line_end   # CR is not the line
            if line_length > limits.max_request_line:
                raise ParseError(414, f"request line longer than {limits.max_request_line} bytes")
            if newline >= 0:
                line = buf[:line_length].decode("latin-1")
                if _REQUEST_LINE.match(line) is None:
                    _diagnose_request_line(line)
                self._line_checked = True
        # The head counts without its final line end, of which "\n\r" may be here already.
        if len(buf) > limits.max_header_bytes + 2:
            raise ParseError(431, f"request header block longer than {limits.max_header_bytes} bytes")

    def _parse_head(self, text: str) -> Request:
        """A complete head (latin-1 text, one character per byte, without its final empty line).

        Checks run in the order `_check_incomplete` can apply them while the
        head is still arriving (line length, request line, head size), so a
        request gets the same answer however TCP cuts it.
        """
        limits = self._limits
        if len(text) <= limits.max_header_bytes:
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
        match = _REQUEST_LINE.match(line)
        if match is None:
            _diagnose_request_line(line)
        if len(text) > limits.max_header_bytes:
            raise ParseError(431, f"request header block longer than {limits.max_header_bytes} bytes")
        if len(lines) - 1 > limits.max_headers:
            raise ParseError(431, f"more than {limits.max_headers} header fields")
        method, target, minor = match.groups()
        if _CONTROL.search(text) or _has_bare_cr(text):
            raise ParseError(400, "control character in the request head")
        headers = _parse_fields(lines)
        request = Request(method, target, "HTTP/1.0" if minor == "0" else "HTTP/1.1", headers)
        self._check_framing(request, minor)
        return request

    def _check_framing(self, request: Request, minor: str) -> None:
        headers = request.headers
        host = headers.get("host")
        if host is None:
            if minor != "0":
                raise ParseError(400, "HTTP/1.1 request without Host")
        elif host not in _VALID_HOSTS:
            if not valid_host(host):
                raise ParseError(400, "invalid Host")
            if len(_VALID_HOSTS) >= _VALID_HOSTS_MAX:
                _VALID_HOSTS.clear()
            _VALID_HOSTS.add(host)
        length = headers.get("content-length")
        coding = headers.get("transfer-encoding")
        if coding is not None:
            _check_transfer_coding(coding, minor, length is not None)
            request.chunked = True
        elif length is not None:
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


def _check_transfer_coding(value: str, minor: str, has_length: bool) -> None:
    """Accept exactly `chunked` as the one and final coding (RFC 9112 6.1, 6.3); refuse the rest."""
    if minor == "0":
        raise ParseError(400, "Transfer-Encoding in an HTTP/1.0 request")
    if has_length:
        raise ParseError(400, "both Transfer-Encoding and Content-Length")
    codings = [c for c in (part.strip(" \t").lower() for part in value.split(",")) if c]
    if not codings or codings[-1] != "chunked" or "chunked" in codings[:-1]:
        raise ParseError(400, "chunked is not the final transfer coding, once")
    if len(codings) > 1:
        raise ParseError(501, f"transfer coding {codings[0]!r} is not implemented")


def valid_host(value: str) -> bool:
    """Whether a Host value is `uri-host [":" port]` (RFC 9110 7.2, RFC 3986 3.2.2); empty is valid."""
    if value.startswith("["):
        match = _IP_LITERAL_PORT.match(value)
        if match is None:
            return False
        inner = match.group(1)
        if inner[:1] in ("v", "V"):
            return _IP_FUTURE.match(inner) is not None
        if "%" in inner:   # a zone id would have to be written %25 (RFC 6874); not for a Host header
            return False
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return False
        return True
    return _REG_NAME_PORT.match(value) is not None


_VALID_HOSTS: set[str] = set()
"""Host values already seen valid (bounded): a busy server sees the same few again and again."""
_VALID_HOSTS_MAX = 256


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
    if len(parts) == 2 and all(parts) and _TOKEN.match(parts[0]):
        raise ParseError(400, "no HTTP version: HTTP/0.9 requests are not served")
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
