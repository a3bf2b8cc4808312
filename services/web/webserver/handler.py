"""What to answer to one parsed request: the static-file semantics of RFC 9110.

`Handler.respond` turns a `Request` into the pieces a session queues: bytes
(a head, or a head with its small body in the same buffer so it leaves in one
write — Nagle and delayed ACKs never see a lone head) and, for large files,
a `FileBody` that the connection pulls chunk by chunk as its socket drains.
"""

from __future__ import annotations

from dataclasses import dataclass

from socketlab_common.probe import is_probe

from .files import FileInfo, Found, Listing, Redirect, Site
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


@dataclass(frozen=True)
class Lingering:
    """Lingering close (RFC 9112 9.6): how long to keep reading a client the server has stopped listening to.

    After refusing a request whose bytes are still arriving (a 414 line, a
    413 body), the server sends its answer and shuts down its sending side,
    then reads and discards until the client closes. Closing at once instead
    would make the kernel answer the unread bytes with a reset, which
    destroys the error response the client has not read yet. nginx's names
    and defaults: `lingering_time` 30 s, `lingering_timeout` 5 s. nginx has
    no byte cap; this one bounds what a client that never stops sending costs.
    """

    time: float = 30.0                  # nginx lingering_time: the whole lingering close, at most
    timeout: float = 5.0                # nginx lingering_timeout: the longest wait for the next bytes
    max_bytes: int = 64 * 1024 * 1024   # discarded bytes, at most; then the connection is cut (reset)


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

_CLOSE, _KEEP_ALIVE, _PLAIN = "close", "keep-alive", ""
"""The three Connection headers a response can carry (none: HTTP/1.1's persistent default)."""

CONDITIONALS = frozenset({"if-match", "if-unmodified-since", "if-none-match", "if-modified-since"})
"""Request fields that make a request conditional (RFC 9110 13.1); most requests carry none."""

BODILESS = frozenset({304})
"""Statuses that never carry content nor Content-Length here (RFC 9110 15.4.5; no 1xx/204 are sent)."""


@dataclass(slots=True)
class Reply:
    """What to answer, before framing: the status, its fields and its content.

    The content is `body` bytes, or the byte range `file` = (path, offset,
    length) streamed from disk. (A small file's whole 200 needs no Reply:
    its complete responses are kept prebuilt on its `FileInfo`.) `close`
    says the connection cannot continue after it whatever the request asked.
    Content-Length, Connection and HEAD are not decided here but in `Handler._frame`.
    """

    status: int
    fields: list[tuple[str, str]]
    body: bytes = b""
    file: tuple[str, int, int] | None = None
    close: bool = False


class Handler:
    """Static files from one `Site`, shared by every connection of a server.

    `respond` is two steps: `_reply` decides what to answer (RFC 9110
    semantics: methods, files, conditionals, ranges, errors) and `_frame`
    turns it into bytes — the one place that decides keep-alive, the
    Connection header, Content-Length and whether a body is sent at all
    (HEAD, 304), as h11 does in `_keep_alive` and `_body_framing`.
    """

    def __init__(self, site: Site, *, limits: Limits | None = None, timeouts: Timeouts | None = None,
                 lingering: Lingering | None = None, access_log: AccessLog | None = None) -> None:
        self.site = site
        self.limits = limits or Limits()
        self.timeouts = timeouts or Timeouts()
        self.lingering = lingering or Lingering()
        self.access_log = access_log or AccessLog(None)

    # -- requests -----------------------------------------------------------------------------

    def respond(self, request: Request, peer: tuple) -> list[Piece]:
        """The response pieces for a well-formed request; `request.keep_alive` is cleared if it must close."""
        return self._frame(request, peer, self._reply(request))

    def refuse(self, error: ParseError, peer: tuple) -> bytes:
        """The response to a request the parser refused; the connection closes after it."""
        [response] = self._frame(None, peer, self._error(error.status, error.detail))
        return response

    def _reply(self, request: Request) -> Reply | FileInfo:
        """What to answer; a small file's whole 200 is its `FileInfo` itself (its responses are prebuilt)."""
        if request.method not in ("GET", "HEAD"):
            return self._error(405, fields=[("Allow", ALLOW)])
        try:
            found = self.site.lookup(request.target)
        except ParseError as exc:
            return self._error(exc.status, exc.detail)
        if isinstance(found, Found):
            return self._file(request, found.file)
        if isinstance(found, Redirect):
            return Reply(301, [("Location", found.location), ("Content-Type", HTML)],
                         error_page(301, f"Moved to {found.location}"))
        if isinstance(found, Listing):
            failed = self._precondition_failed(request.headers, None)
            return self._error(412) if failed else Reply(200, [("Content-Type", HTML)], found.body)
        return self._error(404)

    # -- framing: keep-alive, Content-Length, HEAD --------------------------------------------

    def _frame(self, request: Request | None, peer: tuple, reply: Reply | FileInfo) -> list[Piece]:
        """Encode `reply` for `request` (None: a refused one): the only place that decides framing."""
        if reply.__class__ is FileInfo:   # the hot path: a small file, whole, with no conditions
            keep_alive = request.keep_alive
            status = 200
        else:
            keep_alive = request is not None and request.keep_alive and not reply.close
            if request is not None and not keep_alive:
                request.keep_alive = False   # tells the session to close after this response
            status = reply.status
        if not keep_alive:
            connection = _CLOSE
        else:
            connection = _KEEP_ALIVE if request.version == "HTTP/1.0" else _PLAIN
        no_body = status in BODILESS or (request is not None and request.method == "HEAD")
        if status == 200 and reply.__class__ is FileInfo:
            return [self._cached_full(request, peer, reply, no_body, connection)]
        if reply.file is not None:
            path, offset, length = reply.file
        else:
            length = len(reply.body)
        fields = reply.fields
        if status not in BODILESS:
            fields = [*fields[:1], ("Content-Length", str(length)), *fields[1:]]
        response_head = head(status, fields, close=connection is _CLOSE,
                             keep_alive_header=connection is _KEEP_ALIVE)
        sent = 0 if no_body else length
        if reply.file is None or no_body or length == 0:
            self._log(peer, request, status, sent)
            return [response_head if no_body else response_head + reply.body]
        try:
            body = FileBody(path, offset, length)
        except FileNotFoundError:
            return self._frame(request, peer, self._error(404))
        except OSError:   # out of descriptors or unreadable: tell this client, keep serving others
            return self._frame(request, peer, self._error(503, close=True))
        self._log(peer, request, status, sent)
        return [response_head, body]

    def _cached_full(self, request: Request, peer: tuple, info: FileInfo, no_body: bool, connection: str) -> bytes:
        """The complete 200 response for a small file, rebuilt only when the Date second changes."""
        date = http_date()
        if info.responses_date != date:
            info.responses = {}
            info.responses_date = date
        key = (no_body, connection)
        response = info.responses.get(key)
        if response is None:
            response = head(200, self._file_fields(info, info.size), close=connection is _CLOSE,
                            keep_alive_header=connection is _KEEP_ALIVE)
            if not no_body:
                response += info.body
            info.responses[key] = response
        self._log(peer, request, 200, 0 if no_body else info.size)
        return response

    # -- files --------------------------------------------------------------------------------

    def _file(self, request: Request, info: FileInfo) -> Reply | FileInfo:
        """RFC 9110 13.2.2's order: If-Match / If-Unmodified-Since, then If-None-Match / -Modified-Since, then Range."""
        headers = request.headers
        if not CONDITIONALS.isdisjoint(headers):
            if self._precondition_failed(headers, info):
                return self._error(412)
            if self._not_modified(headers, info):
                return Reply(304, [("ETag", info.etag), ("Last-Modified", info.last_modified)])
        size = info.size
        byte_range = None
        if "range" in headers and request.method == "GET" and self._if_range_holds(headers, info):
            byte_range = parse_range(headers["range"], size)
            if byte_range == "unsatisfiable":
                return self._error(416, fields=[("Content-Range", f"bytes */{size}")])
        if byte_range is None:
            if info.body is not None:
                return info
            return Reply(200, self._file_fields(info), file=(info.path, 0, size))
        first, last = byte_range
        fields = [*self._file_fields(info), ("Content-Range", f"bytes {first}-{last}/{size}")]
        if info.body is not None:
            return Reply(206, fields, info.body[first:last + 1])
        return Reply(206, fields, file=(info.path, first, last - first + 1))

    @staticmethod
    def _file_fields(info: FileInfo, length: int | None = None) -> list[tuple[str, str]]:
        """A file's fields; Content-Length (second) only when given: `_frame` adds it otherwise."""
        fields = [("Content-Type", info.content_type), ("Last-Modified", info.last_modified), ("ETag", info.etag),
                  ("Accept-Ranges", "bytes")]
        if length is not None:
            fields.insert(1, ("Content-Length", str(length)))
        return fields

    @staticmethod
    def _precondition_failed(headers: dict[str, str], info: FileInfo | None) -> bool:
        """RFC 9110 13.1.1 and 13.1.4: If-Match (strong comparison) wins; If-Unmodified-Since only without it.

        `info` is None for a representation with neither ETag nor date (a
        directory listing): only `If-Match: *` holds for it, and
        If-Unmodified-Since is ignored, as 13.1.4 says.
        """
        match = headers.get("if-match")
        if match is not None:
            if match.strip() == "*":
                return False
            return info is None or not etag_matches(match, info.etag, weak=False)
        since = headers.get("if-unmodified-since")
        if since is not None and info is not None:
            when = parse_http_date(since)
            return when is not None and info.mtime > when
        return False

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

    def _error(self, status: int, detail: str = "", *, fields: list[tuple[str, str]] | None = None,
               close: bool = False) -> Reply:
        body = None
        if status == 404:
            page = self.site.file("404.html")
            if page is not None and page.body is not None:
                body = page.body
        if body is None:
            body = error_page(status, detail)
        return Reply(status, [("Content-Type", HTML), *(fields or ())], body, close=close)

    def _log(self, peer: tuple, request: Request | None, status: int, size: int) -> None:
        if self.access_log.enabled and not is_probe(peer):
            self.access_log.log(peer, request.request_line if request is not None else "-", status, size)


def etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    """Whether an If-None-Match / If-Match / If-Range list names `etag` (weak or strong comparison)."""
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
