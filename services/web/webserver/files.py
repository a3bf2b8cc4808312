"""From a request target to a file under the document root, and never outside it.

The target is percent-decoded exactly once (so ``%252e`` stays the literal
name ``%2e``), its query is dropped, dot segments are resolved the way
RFC 3986 5.2.4 says, and the result must still lie under the root after
symlinks are followed (``os.path.realpath`` + prefix check). Encodings that
only an attacker sends — NUL, backslash, invalid UTF-8, ``..`` climbing above
the root — are refused with 400; a symlink leading outside is simply 404.
"""

from __future__ import annotations

import html
import mimetypes
import os
import stat
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import quote, unquote_to_bytes

from .request import ParseError

TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")
"""Types sent with ``; charset=utf-8`` (the sample site and most of the web are UTF-8)."""

_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "application/javascript",
    ".mjs": "application/javascript", ".json": "application/json", ".txt": "text/plain", ".md": "text/markdown",
    ".xml": "application/xml", ".svg": "image/svg+xml", ".png": "image/png", ".gif": "image/gif",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".ico": "image/x-icon",
    ".woff2": "font/woff2", ".woff": "font/woff", ".pdf": "application/pdf", ".wasm": "application/wasm",
}

RECENT_TTL = 1.0
"""Seconds a found file's metadata is reused without a new stat (nginx: open_file_cache_valid)."""
RECENT_ENTRIES = 4096


def content_type(path: str) -> str:
    """The Content-Type for a file name; text types carry their charset."""
    ext = os.path.splitext(path)[1].lower()
    kind = _TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXT_TYPES) else kind


def decode_target(target: str) -> tuple[str, list[str]]:
    """Return (normalized URL path, its segments) for a request target, or raise ParseError(400)."""
    if target.startswith(("http://", "https://")):  # absolute-form (RFC 9112 3.2.2): keep the path
        slash = target.find("/", target.index("//") + 2)
        target = target[slash:] if slash >= 0 else "/"
    if not target.startswith("/"):
        raise ParseError(400, "request target must be an absolute path")
    raw = target.split("?", 1)[0]
    if "#" in raw:
        raise ParseError(400, "fragment in request target")
    decoded = unquote_to_bytes(raw)
    if b"\x00" in decoded:
        raise ParseError(400, "NUL byte in path")
    if b"\\" in decoded:
        raise ParseError(400, "backslash in path")
    try:
        path = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(400, "path is not valid UTF-8") from None
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if not segments:
                raise ParseError(400, "path climbs above the document root")
            segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    trailing = path.endswith(("/", "/.", "/..")) or not segments
    url_path = "/" + "/".join(segments) + ("/" if trailing and segments else "")
    return url_path, segments


@dataclass(slots=True)
class FileInfo:
    """What a response needs to know about one regular file; small files keep their bytes."""

    path: str
    size: int
    mtime: int
    identity: tuple[int, int, int]
    etag: str
    last_modified: str
    content_type: str
    body: bytes | None = None
    responses: dict = field(default_factory=dict)   # prebuilt full responses, for the current Date
    responses_date: str = ""


@dataclass(frozen=True, slots=True)
class Found:
    file: FileInfo


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str


@dataclass(frozen=True, slots=True)
class Listing:
    body: bytes


@dataclass(frozen=True, slots=True)
class Missing:
    pass


Lookup = Found | Redirect | Listing | Missing


class Site:
    """A document root: maps URL paths to files, caching small files' bytes (revalidated by stat)."""

    def __init__(self, root: str, *, listing: bool = False, inline_max: int = 128 * 1024,
                 cache_bytes: int = 64 * 1024 * 1024) -> None:
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"document root {root!r} is not a directory")
        self.listing = listing
        self.inline_max = inline_max
        self.cache_bytes = cache_bytes
        self._cache: dict[str, FileInfo] = {}
        self._cached_bytes = 0
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self._recent: dict[str, tuple[float, Found]] = {}

    def lookup(self, target: str) -> Lookup:
        """Resolve a request target; raises ParseError(400) for refused encodings.

        A file found for a target is remembered for RECENT_TTL seconds: the
        hot path of a busy server (the same few files again and again) then
        costs no `realpath` (an lstat per path component) and no `stat`. Like
        nginx's open_file_cache_valid, a file changed or removed meanwhile is
        seen up to that long late; everything else is looked up every time.
        """
        now = time.monotonic()
        hit = self._recent.get(target)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = self._lookup(target)
        if isinstance(found, Found):
            if len(self._recent) >= RECENT_ENTRIES:
                self._recent.clear()
            self._recent[target] = (now + RECENT_TTL, found)
        return found

    def _lookup(self, target: str) -> Lookup:
        url_path, segments = decode_target(target)
        real = os.path.realpath(os.path.join(self.root, *segments))
        if real != self.root and not real.startswith(self._prefix):
            return Missing()   # a symlink pointing outside the root: not ours to serve
        try:
            st = os.stat(real)
        except (OSError, ValueError):
            return Missing()
        if stat.S_ISDIR(st.st_mode):
            if not url_path.endswith("/"):
                return Redirect(quote(url_path + "/", safe="/~!$&'()*+,;=:@"))
            index = os.path.join(real, "index.html")
            try:
                ist = os.stat(index)
            except OSError:
                ist = None
            if ist is not None and stat.S_ISREG(ist.st_mode):
                return self._found(index, ist)
            if self.listing:
                return Listing(self._listing(real, url_path))
            return Missing()
        if not stat.S_ISREG(st.st_mode) or url_path.endswith("/"):
            return Missing()   # devices, FIFOs and sockets are never served; a file is not a directory
        return self._found(real, st)

    def file(self, relative: str) -> FileInfo | None:
        """A file directly under the root by name (the custom 404 page), or None."""
        path = os.path.join(self.root, relative)
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self._found(path, st).file if stat.S_ISREG(st.st_mode) else None

    def _found(self, path: str, st: os.stat_result) -> Found:
        identity = (st.st_mtime_ns, st.st_size, st.st_ino)
        info = self._cache.get(path)
        if info is not None and info.identity == identity:
            return Found(info)
        info = FileInfo(
            path=path, size=st.st_size, mtime=int(st.st_mtime), identity=identity,
            etag=f'"{st.st_mtime_ns:x}-{st.st_size:x}"',
            last_modified=formatdate(st.st_mtime, usegmt=True),
            content_type=content_type(path),
        )
        if st.st_size <= self.inline_max:
            try:
                with open(path, "rb") as f:
                    body = f.read(self.inline_max + 1)
            except OSError:
                return Found(info)
            if len(body) == st.st_size:   # else the file is changing under us: stream it instead
                info.body = body
                self._remember(path, info)
        return Found(info)

    def _remember(self, path: str, info: FileInfo) -> None:
        old = self._cache.pop(path, None)
        if old is not None:
            self._cached_bytes -= old.size
        if self._cached_bytes + info.size > self.cache_bytes:
            self._cache.clear()
            self._cached_bytes = 0
        self._cache[path] = info
        self._cached_bytes += info.size

    @staticmethod
    def _listing(real: str, url_path: str) -> bytes:
        rows = []
        for entry in sorted(os.scandir(real), key=lambda e: e.name):
            name = entry.name + ("/" if entry.is_dir() else "")
            rows.append(f'<li><a href="{quote(name)}">{html.escape(name)}</a></li>')
        title = html.escape(url_path)
        return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title></head>"
                f"<body><h1>Index of {title}</h1><ul>{''.join(rows)}</ul></body></html>\n").encode()
