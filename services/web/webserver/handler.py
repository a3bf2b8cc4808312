"""What to answer to one parsed request: the static-file semantics of RFC 9110.

`Handler.respond` turns a `Request` into the pieces a session queues: bytes
(a head, or a head with its small body in the same buffer so it leaves in one
write — Nagle and delayed ACKs never see a lone head) and, for large files,
a `FileBody` that the connection pulls chunk by chunk as its socket drains.
"""

from __future__ import annotations

from dataclasses import dataclass

from .files import FileInfo, Found, Listing, Missing, Redirect, Site
from .request import Limits, ParseError, Request
from .responses import AccessLog, error_page, head, http_date, parse_http_date

ALLOW = "GET, HEAD"
CHUNK = 256 * 1024
"""Bytes read from a large file per pull: big enough for few system calls, small enough per client."""

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Timeouts:
    """Seconds a connection may spend in each state before it is dropped (see HttpSession.deadline)."""

    header: float = 10.0     # from the first byte of a request (or the connect) to its complete head
    keepalive: float = 15.0  # idle between requests on a persistent connection
    send: float = 60.0       # without the client taking one more chunk (256 KiB) of the response


class FileBody:
    """A byte range of a file, read lazily in CHUNK pieces; never the whole file in memory."""

    __slots__ = ("_file", "_left")

    def __init__(self, path: str, offset: int, length: int) -> None:
        self._file = open(path, "rb", buffering=0)
        if offset:
            self._file.seek(offset)
        self._left = length

    @property
    def done(self) -> bool:
        return self._left <= 0

    def read(self, limit: int = CHUNK) -> bytes:
        """Return the next chunk; raises EOFError if the file shrank under us."""
        data = self._file.read(min(limit, self._left))
        if not data:
            self.close()
            raise EOFError("file shorter than announced")
        self._left -= len(data)
        if self._left <= 0:
            self.close()
        return data

    def close(self) -> None:
        self._file.close()


Piece = bytes | FileBody


class Handler:
    """Static files from one `Site`, shared by every connection of a server."""

    def __init__(self, site: Site, *, limits: Limits | None = None, timeouts: Timeouts | None = None,
                 access_log: AccessLog | None = None) -> None:
        self.site = site
        self.limits = limits or Limits()
        self.timeouts = timeouts or Timeouts()
        self.access_log = access_log or AccessLog(None)

    # -- requests -----------------------------------------------------------------------------

    def respond(self, request: Request, peer: tuple) -> list[Piece]:
        """The response pieces for a well-formed request (the connection stays usable)."""
        close = not request.keep_alive
        ka_header = request.keep_alive and request.version == "HTTP/1.0"
        is_head = request.method == "HEAD"
        if request.method not in ("GET", "HEAD"):
            return self._error(request, peer, 405, close, ka_header, is_head, [("Allow", ALLOW)])
        try:
            found = self.site.lookup(request.target)
        except ParseError as exc:
            return self._error(request, peer, exc.status, close, ka_header, is_head, detail=exc.detail)
        if isinstance(found, Found):
            return self._file(request, peer, found.file, close, ka_header, is_head)
        if isinstance(found, Redirect):
            page = error_page(301, f"Moved to {found.location}")
            fields = [("Location", found.location), ("Content-Type", HTML), ("Content-Length", str(len(page)))]
            self._log(peer, request, 301, 0 if is_head else len(page))
            return [head(301, fields, close=close, keep_alive_header=ka_header) + (b"" if is_head else page)]
        if isinstance(found, Listing):
            body = found.body
            fields = [("Content-Type", HTML), ("Content-Length", str(len(body)))]
            self._log(peer, request, 200, 0 if is_head else len(body))
            return [head(200, fields, close=close, keep_alive_header=ka_header) + (b"" if is_head else body)]
        assert isinstance(found, Missing)
        return self._error(request, peer, 404, close, ka_header, is_head)

    def refuse(self, error: ParseError, peer: tuple) -> bytes:
        """The response to a request the parser refused; the connection closes after it."""
        body = error_page(error.status, error.detail)
        fields = [("Content-Type", HTML), ("Content-Length", str(len(body)))]
        self.access_log.log(peer, "-", error.status, len(body))
        return head(error.status, fields, close=True) + body

    # -- files --------------------------------------------------------------------------------

    def _file(self, request: Request, peer: tuple, info: FileInfo, close: bool, ka_header: bool,
              is_head: bool) -> list[Piece]:
        headers = request.headers
        if headers and self._not_modified(headers, info):
            fields = [("ETag", info.etag), ("Last-Modified", info.last_modified)]
            self._log(peer, request, 304, 0)
            return [head(304, fields, close=close, keep_alive_header=ka_header)]
        size = info.size
        byte_range = None
        if not is_head and "range" in headers and self._if_range_holds(headers, info):
            byte_range = parse_range(headers["range"], size)
            if byte_range == "unsatisfiable":
                return self._error(request, peer, 416, close, ka_header, False,
                                   [("Content-Range", f"bytes */{size}")])
        if byte_range is None:
            if info.body is not None:
                self._log(peer, request, 200, 0 if is_head else size)
                return [self._cached_full(info, is_head, close, ka_header)]
            start, length, status = 0, size, 200
            fields = self._file_fields(info, size)
        else:
            first, last = byte_range
            start, length, status = first, last - first + 1, 206
            fields = self._file_fields(info, length)
            fields.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        response_head = head(status, fields, close=close, keep_alive_header=ka_header)
        if is_head or length == 0:
            self._log(peer, request, status, 0)
            return [response_head]
        if info.body is not None:
            self._log(peer, request, status, length)
            return [response_head + info.body[start:start + length]]
        try:
            body = FileBody(info.path, start, length)
        except FileNotFoundError:
            return self._error(request, peer, 404, close, ka_header, is_head)
        except OSError:   # out of descriptors or unreadable: tell this client, keep serving others
            return self._error(request, peer, 503, True, False, is_head)
        self._log(peer, request, status, length)
        return [response_head, body]

    @staticmethod
    def _file_fields(info: FileInfo, length: int) -> list[tuple[str, str]]:
        return [("Content-Type", info.content_type), ("Content-Length", str(length)),
                ("Last-Modified", info.last_modified), ("ETag", info.etag), ("Accept-Ranges", "bytes")]

    def _cached_full(self, info: FileInfo, is_head: bool, close: bool, ka_header: bool) -> bytes:
        """The complete 200 response for a small file, rebuilt only when the Date second changes."""
        date = http_date()
        if info.responses_date != date:
            info.responses = {}
            info.responses_date = date
        key = (is_head, close, ka_header)
        response = info.responses.get(key)
        if response is None:
            response = head(200, self._file_fields(info, info.size), close=close, keep_alive_header=ka_header)
            if not is_head:
                response += info.body
            info.responses[key] = response
        return response

    @staticmethod
    def _not_modified(headers: dict[str, str], info: FileInfo) -> bool:
        """RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only when it is absent."""
        none_match = headers.get("if-none-match")
        if none_match is not None:
            return etag_matches(none_match, info.etag, weak=True)
        since = headers.get("if-modified-since")
        if since is not None:
            when = parse_http_date(since)
            return when is not None and info.mtime <= when
        return False

    @staticmethod
    def _if_range_holds(headers: dict[str, str], info: FileInfo) -> bool:
        """If-Range (RFC 9110 13.1.5): serve the range only if the validator still matches."""
        condition = headers.get("if-range")
        if condition is None:
            return True
        condition = condition.strip()
        if condition.startswith(('"', "W/")):
            return etag_matches(condition, info.etag, weak=False)
        when = parse_http_date(condition)
        return when is not None and when == info.mtime

    # -- errors -------------------------------------------------------------------------------

    def _error(self, request: Request, peer: tuple, status: int, close: bool, ka_header: bool, is_head: bool,
               extra: list[tuple[str, str]] | None = None, detail: str = "") -> list[Piece]:
        if close:
            request.keep_alive = False   # tells the session to close after this response
        body = None
        if status == 404:
            page = self.site.file("404.html")
            if page is not None and page.body is not None:
                body = page.body
        if body is None:
            body = error_page(status, detail)
        fields = [("Content-Type", HTML), ("Content-Length", str(len(body))), *(extra or ())]
        self._log(peer, request, status, 0 if is_head else len(body))
        return [head(status, fields, close=close, keep_alive_header=ka_header) + (b"" if is_head else body)]

    def _log(self, peer: tuple, request: Request, status: int, size: int) -> None:
        if self.access_log.enabled:
            self.access_log.log(peer, request.request_line, status, size)


def etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    """Whether an If-None-Match / If-Range list names `etag` (weak or strong comparison)."""
    if header.strip() == "*":
        return weak
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            if not weak:
                continue
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """A single ``bytes=`` range as (first, last) inclusive; "unsatisfiable"; or None to ignore it.

    Multiple ranges and syntax we do not understand are ignored (RFC 9110
    14.2 lets a server do so): the client then gets the whole file with 200.
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    first_text, last_text = first_text.strip(), last_text.strip()
    if not (first_text.isdigit() or first_text == "") or not (last_text.isdigit() or last_text == ""):
        return None
    if first_text == "":
        if last_text == "":
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        return "unsatisfiable"
    return first, min(int(last_text), size - 1) if last_text else size - 1
