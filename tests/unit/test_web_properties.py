"""Property-based fuzzing of the HTTP request parser and session (Hypothesis; profiles in tests/hypothesis_profiles.py).

Hand-written cases test what someone thought of; these generate inputs:
valid requests (random methods, targets, header sets, Content-Length and
chunked bodies cut into random chunks), the same with random mutations
(bytes inserted, deleted, replaced, slices repeated, the stream cut short),
and plain random bytes — each delivered whole and cut at random places.
The properties:

* the parser raises nothing but `ParseError`, with a status from a known set;
* any input cut anywhere gives the same requests and the same refusal as whole;
* a valid request parses to exactly what was built;
* no path outside the document root, ever, whatever the target;
* output is bounded by input: requests never outnumber what their bytes allow,
  the parser's buffer never outgrows its limits, the session answers at most
  one response per request (plus one refusal), each of bounded size.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from webserver.files import Found, Site
from webserver.handler import Handler
from webserver.request import MAX_CHUNK_LINE, Limits, ParseError, Request, RequestParser
from webserver.session import HttpSession

from .feeding import split_at
from .web_support import make_handler, make_root, read_responses

REFUSALS = {400, 413, 414, 431, 501, 505}
"""Every status the parser may refuse with."""
ANSWERS = {200, 206, 301, 304, 400, 404, 405, 412, 413, 414, 416, 431, 501, 503, 505}
"""Every status the session may answer with."""
SMALLEST_REQUEST = len(b"M / HTTP/1.0\n\n")
RESPONSE_OVERHEAD = 4096
"""Bytes of head (and error page) a response may add to the file it carries."""

# -- strategies ------------------------------------------------------------------------------

TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
VISIBLE = "".join(chr(c) for c in range(0x21, 0x7F))
FIELD_CHARS = "\t" + "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0x80, 0x100))
FRAMING = {"host", "content-length", "transfer-encoding", "connection"}

tokens = st.text(TOKEN, min_size=1, max_size=12)
methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]) | tokens
segments = st.sampled_from([
    "", ".", "..", "%2e%2e", "%2E.", ".%2e", "..%2f", "%2f", "%5c", "\\", "%00", "%c0%ae", "%252e%252e", "%ff",
    "index.html", "style.css", "docs", "img", "a.png", "a%20b.txt", "escape.txt", "escape-dir", "inside-link.css",
    "secret.txt", "fifo", "big.bin", "empty-dir", "%2e%2e%2fsecret.txt",
]) | st.text(VISIBLE.replace("?", "").replace("#", ""), max_size=8)
paths = st.lists(segments, max_size=6).map(lambda parts: "/" + "/".join(parts))
targets = st.one_of(
    paths,
    st.tuples(paths, st.text(VISIBLE, max_size=10)).map(lambda pq: f"{pq[0]}?{pq[1]}"),
    paths.map(lambda p: "http://h" + p),
)
hosts = st.sampled_from(["a", "example.com:8000", "10.0.0.1", "[::1]:80", ""])
field_values = st.text(FIELD_CHARS, max_size=40).map(lambda v: v.strip(" \t"))
meaningful_fields = st.sampled_from([
    ("Range", "bytes=0-3"), ("Range", "bytes=-5"), ("Range", "bytes=5-1"), ("Range", "bytes=0-1,3-4"),
    ("If-None-Match", "*"), ("If-None-Match", '"x"'), ("If-Match", "*"), ("If-Match", '"x"'),
    ("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"), ("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"),
    ("If-Range", '"x"'), ("Accept", "*/*"), ("Cookie", "a=b"),
])
random_fields = st.tuples(tokens.filter(lambda n: n.lower() not in FRAMING), field_values)
header_sets = st.lists(meaningful_fields | random_fields, max_size=8)


@st.composite
def chunked_bodies(draw: st.DrawFn) -> tuple[bytes, int]:
    """A chunked body (RFC 9112 7.1) of random chunks, extensions and trailers; and its decoded size."""
    sizes = draw(st.lists(st.integers(1, 300), max_size=5))
    out = bytearray()
    for size in sizes:
        digits = f"{size:x}" if draw(st.booleans()) else f"{size:X}".rjust(draw(st.integers(1, 6)), "0")
        ext = draw(st.sampled_from(["", ";a", ";a=b", ' ;n="v v"', "\t;x"]))
        out += f"{digits}{ext}\r\n".encode() + b"d" * size + b"\r\n"
    out += b"0\r\n"
    for name, value in draw(st.lists(random_fields, max_size=2)):
        out += f"{name}: {value}\r\n".encode("latin-1")
    out += b"\r\n"
    return bytes(out), sum(sizes)


@st.composite
def valid_requests(draw: st.DrawFn) -> tuple[bytes, tuple]:
    """One well-formed request and what it must parse to."""
    method, target = draw(methods), draw(targets)
    minor = draw(st.sampled_from(["0", "1"]))
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    fields = [("Host", draw(hosts))] if minor == "1" or draw(st.booleans()) else []
    fields += draw(header_sets)
    connection = draw(st.sampled_from([None, "close", "keep-alive"]))
    if connection:
        fields.append(("Connection", connection))
    framing = draw(st.sampled_from(["none", "length", "chunked"] if minor == "1" else ["none", "length"]))
    body, body_length = b"", 0
    if framing == "length":
        body_length = draw(st.integers(0, 500))
        body = b"b" * body_length
        fields.append(("Content-Length", str(body_length)))
    elif framing == "chunked":
        body, body_length = draw(chunked_bodies())
        fields.append(("Transfer-Encoding", "chunked"))
    fields = draw(st.permutations(fields))
    head = f"{method} {target} HTTP/1.{minor}{eol}" + "".join(f"{n}: {v}{eol}" for n, v in fields) + eol
    expected_headers: dict[str, str] = {}
    for name, value in fields:
        key = name.lower()
        expected_headers[key] = f"{expected_headers[key]}, {value}" if key in expected_headers else value
    if connection is None:
        keep_alive = minor == "1"
    else:
        keep_alive = connection == "keep-alive" if minor == "0" else connection != "close"
    expected = (method, target, f"HTTP/1.{minor}", expected_headers, keep_alive, body_length, framing == "chunked")
    return head.encode("latin-1") + body, expected


def summary(request: Request) -> tuple:
    return (request.method, request.target, request.version, request.headers, request.keep_alive,
            request.body_length, request.chunked)


INTERESTING = [b"\r", b"\n", b"\r\n", b"\x00", b" ", b"\t", b":", b";", b"0", b"%", b"\x7f", b"\xff", b"a", b"/"]


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few random edits: the near misses where parsers go wrong."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(out)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "repeat", "truncate"]))
        if op == "insert":
            out[position:position] = draw(st.sampled_from(INTERESTING) | st.binary(min_size=1, max_size=3))
        elif op == "delete":
            del out[position:position + draw(st.integers(1, 3))]
        elif op == "replace" and position < len(out):
            out[position] = draw(st.integers(0, 255))
        elif op == "repeat":
            end = min(len(out), position + draw(st.integers(1, 40)))
            out[position:position] = out[position:end]
        elif op == "truncate":
            del out[position:]
    return bytes(out)


SMALL = Limits(max_request_line=200, max_header_bytes=400, max_headers=10, max_body=600)
"""Small limits, so random inputs reach every refusal, not only the 400s."""


@st.composite
def near_limits(draw: st.DrawFn) -> bytes:
    """A request whose line, head size, field count, body or chunk line is within a few bytes of its limit.

    Off-by-one errors live there, and so do differences between a head judged
    whole and one judged while it arrives (the two must agree).
    """
    focus = draw(st.sampled_from(["line", "head", "count", "body", "chunk-line"]))
    delta = draw(st.integers(-3, 3))
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    line = "GET / HTTP/1.1"
    if focus == "line":
        line = "GET /" + "a" * (SMALL.max_request_line + delta - len(line)) + " HTTP/1.1"
    if draw(st.booleans()):
        line = line.removesuffix(" HTTP/1.1")   # the same, but no version: refused as soon as the line ends
    fields = [("Host", "a")]
    body = b""
    if focus == "count":
        fields += [(f"X-{i}", "1") for i in range(SMALL.max_headers + delta - 1)]
    elif focus == "body":
        fields.append(("Content-Length", str(SMALL.max_body + delta)))
        body = b"b" * (SMALL.max_body + delta)
    elif focus == "chunk-line":
        fields.append(("Transfer-Encoding", "chunked"))
        ext = ";" + "e" * (MAX_CHUNK_LINE + delta - 2)
        body = f"1{ext}\r\nx\r\n0\r\n\r\n".encode()
    head = line + eol + "".join(f"{n}: {v}{eol}" for n, v in fields) + eol
    if focus == "head":   # pad so the head, without its final line end, is max_header_bytes + delta
        text_length = len(head) - 2 * len(eol) + (1 if eol == "\r\n" else 0)
        pad = SMALL.max_header_bytes + delta - text_length - len(f"P: {eol}")
        head = head[:-len(eol)] + f"P: {'p' * max(pad, 0)}{eol}" + eol
    return head.encode() + body


streams = st.lists(valid_requests(), min_size=1, max_size=3).map(lambda rs: b"".join(r[0] for r in rs))
inputs = st.one_of(
    streams,
    streams.flatmap(mutated),
    near_limits(),
    near_limits().flatmap(mutated),
    st.binary(max_size=600),
    st.lists(st.sampled_from(INTERESTING) | st.sampled_from([b"GET", b"HTTP/1.1", b"Host", b"chunked", b"1"]),
             max_size=40).map(b"".join),
)
cuts = st.lists(st.integers(0, 4000), max_size=12) | st.lists(st.integers(380, 420), max_size=4)

# -- the parser ------------------------------------------------------------------------------

def parse_pieces(chunks: list[bytes], limits: Limits) -> list:
    """What the parser yields (request summaries, then the refusal's status) and the largest buffer it held."""
    parser = RequestParser(limits)
    events: list = []
    fed = 0
    for chunk in chunks:
        parser.feed(chunk)
        fed += len(chunk)
        while True:
            try:
                request = parser.next_request()
            except ParseError as exc:
                assert exc.status in REFUSALS, exc
                events.append(exc.status)
                return events
            if request is None:
                break
            events.append(summary(request))
        bound = max(limits.max_header_bytes, MAX_CHUNK_LINE + 1)
        assert len(parser._buf) <= bound, "the parser holds more than its limits allow"
    return events


@pytest.mark.parametrize("limits", [Limits(), SMALL], ids=["default-limits", "small-limits"])
@given(data=inputs, where=cuts)
def test_properties_any_input_cut_anywhere_parses_as_whole(limits: Limits, data: bytes, where: list[int]) -> None:
    whole = parse_pieces([data], limits)
    assert parse_pieces(split_at(data, where), limits) == whole
    requests = [e for e in whole if isinstance(e, tuple)]
    assert len(requests) * SMALLEST_REQUEST <= len(data)
    assert sum(len(r[1]) + sum(len(k) + len(v) for k, v in r[3].items()) for r in requests) <= len(data)


@given(built=st.lists(valid_requests(), min_size=1, max_size=3), where=cuts)
def test_properties_valid_requests_parse_to_what_was_built(built: list[tuple[bytes, tuple]], where: list[int]) -> None:
    data = b"".join(raw for raw, _ in built)
    expected = [summary for _, summary in built]
    assume(all(len(raw) < 8000 for raw, _ in built))
    assert parse_pieces(split_at(data, where), Limits()) == expected
    assert parse_pieces(list(split_at(data, range(1, len(data)))), Limits()) == expected   # one byte at a time


# -- the session and the document root -------------------------------------------------------


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_root(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def fuzz_handler(site_root: Path) -> Handler:
    return make_handler(site_root)


def largest_file(root: Path) -> int:
    return max(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def run_session(handler: Handler, chunks: list[bytes]) -> bytes:
    session = HttpSession(("192.0.2.9", 4242), handler)
    out = bytearray()
    for chunk in chunks:
        session.receive(chunk)
        while piece := session.outgoing():
            out += piece
    session.receive(b"")
    while piece := session.outgoing():
        out += piece
    assert session.closing
    return bytes(out)


@given(data=inputs, where=cuts)
def test_properties_session_answers_in_bounded_well_formed_responses(fuzz_handler: Handler, site_root: Path,
                                                                     data: bytes, where: list[int]) -> None:
    events = parse_pieces([data], fuzz_handler.limits)
    heads = {i for i, e in enumerate(events) if isinstance(e, tuple) and e[0] == "HEAD"}
    out = run_session(fuzz_handler, split_at(data, where))
    assert b"SECRET" not in out
    responses = read_responses(out, heads)
    assert len(responses) <= len(events)
    assert all(r.status in ANSWERS for r in responses)
    assert len(out) <= len(responses) * (largest_file(site_root) + RESPONSE_OVERHEAD)
    statuses = [r.status for r in responses]
    assert statuses == [r.status for r in read_responses(run_session(fuzz_handler, [data]), heads)]


@given(target=targets)
def test_properties_no_path_outside_the_root(fuzz_handler: Handler, site_root: Path, target: str) -> None:
    site: Site = fuzz_handler.site
    try:
        found = site.lookup(target)
    except ParseError as exc:
        assert exc.status == 400
        return
    if isinstance(found, Found):
        real = os.path.realpath(found.file.path)
        assert real.startswith(str(site_root.resolve()) + os.sep)
        assert "secret" not in real
