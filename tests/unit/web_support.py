"""Helpers for the web server's unit tests: a sample document root and a tiny response reader."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from webserver.files import Site
from webserver.handler import Handler, Timeouts
from webserver.session import HttpSession

from .feeding import pieces

INDEX = b"<!DOCTYPE html><title>home</title><img src=/img/a.png>\n"
STYLE = "body { color: #333 }  /* ü */\n".encode()
BIG_SIZE = 3 * 1024 * 1024 + 17  # larger than inline_max and several stream chunks


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def make_root(tmp: Path) -> Path:
    """A document root with files, a directory, a symlink escaping it, and a secret beside it."""
    root = tmp / "root"
    (root / "img").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "empty-dir").mkdir()
    (root / "index.html").write_bytes(INDEX)
    (root / "style.css").write_bytes(STYLE)
    (root / "img" / "a.png").write_bytes(b"\x89PNG fake" * 10)
    (root / "docs" / "index.html").write_bytes(b"docs index\n")
    (root / "docs" / "a b.txt").write_bytes(b"space\n")
    (root / "docs" / "%2e%2e").write_bytes(b"literal percent name\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "big.bin").write_bytes(bytes(range(256)) * (BIG_SIZE // 256) + b"x" * (BIG_SIZE % 256))
    (tmp / "secret.txt").write_bytes(b"TOP SECRET\n")
    os.symlink(tmp / "secret.txt", root / "escape.txt")
    os.symlink(tmp, root / "escape-dir")
    os.symlink(root / "style.css", root / "inside-link.css")
    os.mkfifo(root / "fifo")
    return root


def make_handler(root: Path, **site_kwargs) -> Handler:
    return Handler(Site(str(root), **site_kwargs), timeouts=Timeouts(header=10, keepalive=15, send=30))


def drain(session: HttpSession) -> bytes:
    out = bytearray()
    while chunk := session.outgoing():
        out += chunk
    return bytes(out)


def exchange(handler: Handler, data: bytes, *, how: str = "whole", eof: bool = False,
             clock=None) -> tuple[bytes, HttpSession]:
    """Feed `data` to a fresh session (whole, or one byte at a time draining as we go)."""
    session = HttpSession(("192.0.2.7", 40000), handler, *([clock] if clock else []))
    out = bytearray()
    for piece in pieces(data, how):
        if session.closing and session._stop_parsing:
            break
        session.receive(piece)
        out += drain(session)
    if eof:
        session.receive(b"")
        out += drain(session)
    return bytes(out), session


def read_responses(data: bytes, head_requests: set[int] = frozenset()) -> list[Response]:
    """Split a byte stream into responses; `head_requests` are indices of responses without a body."""
    responses = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\r\n\r\n", pos)
        lines = data[pos:end].decode("latin-1").split("\r\n")
        pos = end + 4
        assert lines[0].startswith("HTTP/1.1 "), lines[0]
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(": ")
            assert name.lower() not in headers, f"duplicate header {name}"
            headers[name.lower()] = value
        length = 0
        if len(responses) not in head_requests and status != 304:
            length = int(headers["content-length"])
        responses.append(Response(status, headers, data[pos:pos + length]))
        pos += length
    return responses
