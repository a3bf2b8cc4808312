"""The web server's HTTP semantics, sans I/O: a session fed requests whole and byte by byte."""

from __future__ import annotations

import io
import re
import sys
import threading
from email.utils import formatdate
from pathlib import Path

import pytest
from webserver.handler import Handler, Lingering, Timeouts, parse_range
from webserver.responses import AccessLog
from webserver.session import MAX_QUEUED, OUT_MAX, HttpSession

from .feeding import FEEDS
from .web_support import BIG_SIZE, INDEX, STYLE, drain, exchange, make_handler, make_root, read_responses


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path)


@pytest.fixture
def handler(root: Path) -> Handler:
    return make_handler(root)


def get(handler: Handler, target: str, *headers: str, method: str = "GET", how: str = "whole",
        version: str = "HTTP/1.1"):
    head = f"{method} {target} {version}\r\nHost: test\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    out, _ = exchange(handler, head.encode("latin-1"), how=how)
    [response] = read_responses(out, {0} if method == "HEAD" else set())
    return response


# -- 200, headers, HEAD ------------------------------------------------------------------------

@pytest.mark.parametrize("how", FEEDS)
def test_index_and_headers(handler: Handler, root: Path, how: str) -> None:
    r = get(handler, "/", how=how)
    assert r.status == 200 and r.body == INDEX
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-length"] == str(len(INDEX))
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", r.headers["date"])
    mtime = (root / "index.html").stat().st_mtime
    assert r.headers["last-modified"] == formatdate(mtime, usegmt=True)
    assert r.headers["etag"].startswith('"') and r.headers["etag"].endswith('"')
    assert "connection" not in r.headers   # HTTP/1.1 keeps the connection by default


@pytest.mark.parametrize(("target", "kind"), [
    ("/style.css", "text/css; charset=utf-8"), ("/img/a.png", "image/png"),
    ("/big.bin", "application/octet-stream"), ("/docs/a%20b.txt", "text/plain; charset=utf-8"),
])
def test_content_types(handler: Handler, target: str, kind: str) -> None:
    assert get(handler, target, method="HEAD").headers["content-type"] == kind


@pytest.mark.parametrize("target", ["/", "/style.css", "/big.bin", "/nope", "/docs"])
def test_head_has_get_headers_and_no_body(handler: Handler, target: str) -> None:
    got, head = get(handler, target), get(handler, target, method="HEAD")
    assert head.status == got.status and head.body == b""
    assert {k: v for k, v in head.headers.items() if k != "date"} == {k: v for k, v in got.headers.items()
                                                                       if k != "date"}


def test_empty_file(handler: Handler) -> None:
    r = get(handler, "/empty.txt")
    assert (r.status, r.body, r.headers["content-length"]) == (200, b"", "0")


# -- paths -------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", FEEDS)
def test_directory_without_slash_redirects(handler: Handler, how: str) -> None:
    r = get(handler, "/docs?x=1", how=how)
    assert r.status == 301 and r.headers["location"] == "/docs/"
    r = get(handler, "/docs/")
    assert (r.status, r.body) == (200, b"docs index\n")


def test_percent_decoding_once_and_query_ignored(handler: Handler) -> None:
    assert get(handler, "/docs/a%20b.txt?q=%2e%2e").body == b"space\n"
    assert get(handler, "/%73tyle.css").body == STYLE
    # %252e is decoded once to the literal name "%2e", never twice to "."
    assert get(handler, "/docs/%252e%252e").body == b"literal percent name\n"


def test_dot_segments_inside_the_root_are_resolved(handler: Handler) -> None:
    assert get(handler, "/docs/../style.css").body == STYLE
    assert get(handler, "/./docs/./a%20b.txt").body == b"space\n"


def test_listing_is_off_by_default_and_can_be_enabled(root: Path) -> None:
    assert get(make_handler(root), "/empty-dir/").status == 404
    assert get(make_handler(root), "/img/").status == 404
    listing = get(make_handler(root, listing=True), "/img/")
    assert listing.status == 200 and b'href="a.png"' in listing.body


def test_symlink_inside_the_root_is_served(handler: Handler) -> None:
    assert get(handler, "/inside-link.css").body == STYLE


TRAVERSALS = [
    "/../secret.txt", "/../../../../etc/passwd", "/docs/../../secret.txt",
    "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/%2e%2e%2fsecret.txt",
    "/..%2fsecret.txt", "/docs/..%2f..%2fsecret.txt", "/%2f..%2f..%2fsecret.txt",
    "/..\\secret.txt", "/%5c..%5csecret.txt", "/docs%5c..%5c..%5csecret.txt",
    "/secret.txt%00.html", "/index.html%00", "/%00../secret.txt",
    "/%c0%ae%c0%ae/secret.txt", "/%252e%252e/secret.txt", "//secret.txt",
    "/escape.txt", "/escape-dir/secret.txt", "/escape-dir/",
    "http://test/../secret.txt", "/fifo",
]


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_never_leaves_the_root(handler: Handler, target: str, how: str) -> None:
    r = get(handler, target, how=how)
    assert r.status in (400, 404)
    assert b"SECRET" not in r.body


def test_traversal_errors_keep_the_connection_usable(handler: Handler) -> None:
    out, session = exchange(handler, b"GET /%2e%2e/secret.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                                     b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    first, second = read_responses(out)
    assert first.status == 400 and second.body == STYLE and not session.closing


# -- methods, errors, bodies -------------------------------------------------------------------

@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"])
def test_other_methods_get_405_with_allow(handler: Handler, method: str) -> None:
    r = get(handler, "/", method=method)
    assert r.status == 405 and r.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("how", FEEDS)
def test_small_body_is_refused_and_the_connection_stays_in_step(handler: Handler, how: str) -> None:
    data = (b"POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\nGET /x HT"
            b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    out, session = exchange(handler, data, how=how)
    first, second = read_responses(out)
    assert first.status == 405 and second.status == 200 and second.body == STYLE
    assert not session.closing


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize(("data", "status"), [
    (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", 413),
    (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X-Big: " + b"b" * 17000 + b"\r\n\r\n", 431),
])
def test_refused_requests_get_their_status_and_close(handler: Handler, data: bytes, status: int,
                                                     how: str) -> None:
    out, session = exchange(handler, data + b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", how=how)
    [r] = read_responses(out)     # nothing after the refusal is answered
    assert r.status == status and r.headers["connection"] == "close"
    assert session.closing


def test_404_uses_the_sites_404_page_when_there_is_one(root: Path) -> None:
    assert get(make_handler(root), "/missing").status == 404
    (root / "404.html").write_bytes(b"custom not found\n")
    r = get(make_handler(root), "/missing")
    assert (r.status, r.body) == (404, b"custom not found\n")


# -- conditional requests and ranges -----------------------------------------------------------

def test_if_none_match(handler: Handler) -> None:
    etag = get(handler, "/style.css").headers["etag"]
    r = get(handler, "/style.css", f"If-None-Match: {etag}")
    assert r.status == 304 and r.body == b"" and r.headers["etag"] == etag and "content-length" not in r.headers
    assert get(handler, "/style.css", f'If-None-Match: "nope", W/{etag}').status == 304
    assert get(handler, "/style.css", "If-None-Match: *").status == 304
    assert get(handler, "/style.css", 'If-None-Match: "other"').status == 200


def test_if_modified_since(handler: Handler) -> None:
    last_modified = get(handler, "/style.css").headers["last-modified"]
    assert get(handler, "/style.css", f"If-Modified-Since: {last_modified}").status == 304
    assert get(handler, "/style.css", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT").status == 200
    assert get(handler, "/style.css", "If-Modified-Since: not a date").status == 200
    # If-None-Match takes precedence: a mismatching tag means 200 whatever the date says
    assert get(handler, "/style.css", 'If-None-Match: "x"', f"If-Modified-Since: {last_modified}").status == 200


@pytest.mark.parametrize(("spec", "first", "last"), [
    ("bytes=0-9", 0, 9), ("bytes=5-", 5, len(STYLE) - 1), ("bytes=-4", len(STYLE) - 4, len(STYLE) - 1),
    ("bytes=3-100000", 3, len(STYLE) - 1), ("bytes=-100000", 0, len(STYLE) - 1),
])
def test_single_range_gives_206(handler: Handler, spec: str, first: int, last: int) -> None:
    r = get(handler, "/style.css", f"Range: {spec}")
    assert r.status == 206 and r.body == STYLE[first:last + 1]
    assert r.headers["content-range"] == f"bytes {first}-{last}/{len(STYLE)}"


@pytest.mark.parametrize("spec", ["bytes=10000-", "bytes=-0", f"bytes={len(STYLE)}-{len(STYLE) + 5}"])
def test_unsatisfiable_range_gives_416(handler: Handler, spec: str) -> None:
    r = get(handler, "/style.css", f"Range: {spec}")
    assert r.status == 416 and r.headers["content-range"] == f"bytes */{len(STYLE)}"


@pytest.mark.parametrize("spec", ["bytes=0-1,4-5", "items=0-5", "bytes=5-2", "bytes=a-b", "bytes 0-5"])
def test_ranges_we_do_not_serve_are_ignored(handler: Handler, spec: str) -> None:
    r = get(handler, "/style.css", f"Range: {spec}")
    assert r.status == 200 and r.body == STYLE


def test_if_range(handler: Handler) -> None:
    first = get(handler, "/style.css")
    assert get(handler, "/style.css", "Range: bytes=0-3", f"If-Range: {first.headers['etag']}").status == 206
    assert get(handler, "/style.css", "Range: bytes=0-3", 'If-Range: "old"').status == 200
    assert get(handler, "/style.css", "Range: bytes=0-3", f"If-Range: {first.headers['last-modified']}").status == 206


def test_range_of_a_streamed_file(handler: Handler, root: Path) -> None:
    data = (root / "big.bin").read_bytes()
    r = get(handler, "/big.bin", "Range: bytes=1000000-2999999")
    assert r.status == 206 and r.body == data[1000000:3000000]


def test_parse_range_edges() -> None:
    assert parse_range("bytes=0-0", 1) == (0, 0)
    assert parse_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_range("bytes=-5", 0) == "unsatisfiable"
    assert parse_range("bytes=", 10) is None


# -- connections: keep-alive, pipelining, streaming, timeouts ----------------------------------

@pytest.mark.parametrize("how", FEEDS)
def test_pipelined_requests_are_answered_in_order(handler: Handler, how: str) -> None:
    targets = ["/style.css", "/nope", "/", "/docs", "/img/a.png"]
    data = b"".join(f"GET {t} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for t in targets)
    out, session = exchange(handler, data, how=how)
    assert [r.status for r in read_responses(out)] == [200, 404, 200, 301, 200]
    assert not session.closing


@pytest.mark.parametrize("how", FEEDS)
def test_connection_close_ends_the_pipeline(handler: Handler, how: str) -> None:
    data = (b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    out, session = exchange(handler, data, how=how)
    first, second = read_responses(out)
    assert "connection" not in first.headers and second.headers["connection"] == "close"
    assert session.closing


def test_http_1_0_closes_unless_it_asks_for_keep_alive(handler: Handler) -> None:
    plain = get(handler, "/style.css", version="HTTP/1.0")
    assert plain.headers["connection"] == "close"
    kept = get(handler, "/style.css", "Connection: keep-alive", version="HTTP/1.0")
    assert kept.headers["connection"] == "keep-alive"
    _out, session = exchange(handler, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert not session.closing


def test_half_close_after_requests_still_gets_the_answers(handler: Handler) -> None:
    out, session = exchange(handler, b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n",
                            eof=True)
    assert [r.status for r in read_responses(out)] == [200, 200] and session.closing


def test_large_file_streams_in_bounded_chunks(handler: Handler, root: Path) -> None:
    session = HttpSession(("192.0.2.1", 1), handler)
    session.receive(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    chunks = []
    while chunk := session.outgoing():
        assert len(chunk) <= OUT_MAX + 1024
        chunks.append(chunk)
    [r] = read_responses(b"".join(chunks))
    assert r.status == 200 and r.body == (root / "big.bin").read_bytes()
    assert len(chunks) >= BIG_SIZE // OUT_MAX


def test_pipelined_flood_prepares_a_bounded_number_of_responses(handler: Handler) -> None:
    session = HttpSession(("192.0.2.1", 1), handler)
    session.receive(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" * 50)
    assert len(session._queue) <= MAX_QUEUED + 1
    responses = read_responses(drain(session))
    assert len(responses) == 50 and all(len(r.body) == BIG_SIZE for r in responses)


def test_file_shrinking_mid_stream_closes_the_connection(handler: Handler, root: Path) -> None:
    session = HttpSession(("192.0.2.1", 1), handler)
    session.receive(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    first = session.outgoing()
    (root / "big.bin").write_bytes(b"short")
    drain(session)
    assert session.closing and len(first) < BIG_SIZE


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_deadlines_for_idle_slow_and_stuck_clients(root: Path) -> None:
    handler = Handler(make_handler(root).site, timeouts=Timeouts(header=5, keepalive=7, send=11))
    clock = FakeClock()
    session = HttpSession(("192.0.2.1", 1), handler, clock)
    assert session.deadline() == 1005.0               # a fresh connection must send a request soon
    clock.now = 1003.0
    session.receive(b"GET / HT")                      # slowloris: a head trickling in...
    clock.now = 1006.0
    session.receive(b"TP/1.1\r\nHost")                # ...does not push its deadline back
    assert session.deadline() == 1008.0
    session.receive(b": t\r\n\r\n")
    assert session.deadline() == 1006.0 + 11          # a response in flight: the send timeout
    drain(session)
    assert session.deadline() == 1006.0 + 7           # answered: idle keep-alive timeout


def test_access_log_uses_common_log_format(root: Path) -> None:
    stream = io.StringIO()
    handler = Handler(make_handler(root).site, access_log=AccessLog(stream))
    exchange(handler, b"GET /style.css?x=1 HTTP/1.1\r\nHost: t\r\n\r\nHEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                      b"BAD\r\n\r\n")
    handler.access_log.flush()
    lines = stream.getvalue().splitlines()
    pattern = r'192\.0\.2\.7 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "%s" %d %s'
    assert re.fullmatch(pattern % (r"GET /style\.css\?x=1 HTTP/1\.1", 200, len(STYLE)), lines[0])
    assert re.fullmatch(pattern % (r"HEAD /nope HTTP/1\.1", 404, "-"), lines[1])
    assert re.fullmatch(pattern % ("-", 400, r"\d+"), lines[2])


def test_access_log_keeps_every_line_when_threads_log_and_flush_at_once() -> None:
    """The thread model logs from many threads while the timer flushes: no line lost, torn or doubled."""
    stream = io.StringIO()
    log = AccessLog(stream, buffer_bytes=4096)   # small: the loggers themselves flush often too
    writers, per_writer = 8, 2000

    def write(n: int) -> None:
        for i in range(per_writer):
            log.log((f"10.0.{n}.1", 1), f"GET /{n}/{i} HTTP/1.1", 200, i + 1)

    stop = threading.Event()

    def flush_repeatedly() -> None:
        while not stop.is_set():
            log.flush()

    flusher = threading.Thread(target=flush_repeatedly)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)   # switch threads as often as possible: races show, if there are any
    try:
        flusher.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        flusher.join()
    finally:
        sys.setswitchinterval(interval)
    log.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == writers * per_writer
    assert len(set(lines)) == len(lines)
    for n in range(writers):   # each writer's lines in its own order
        mine = [line for line in lines if line.startswith(f"10.0.{n}.1 ")]
        assert [int(line.rsplit(" ", 1)[1]) for line in mine] == list(range(1, per_writer + 1))


# -- request bodies, Host, HTTP/0.9 ------------------------------------------------------------

CHUNKED_POST = (b"POST /form HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")


@pytest.mark.parametrize("how", FEEDS)
def test_well_formed_chunked_post_gets_405_and_the_connection_stays_in_step(handler: Handler, how: str) -> None:
    """RFC 9112 7.1: the body is parsed (and discarded), the method refused, never 'malformed'."""
    out, session = exchange(handler, CHUNKED_POST + b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n", how=how)
    first, second = read_responses(out)
    assert first.status == 405 and first.headers["allow"] == "GET, HEAD" and "connection" not in first.headers
    assert second.status == 200 and second.body == STYLE and not session.closing


def test_chunked_get_is_served_after_its_body(handler: Handler) -> None:
    out, _ = exchange(handler, b"GET /style.css HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"3\r\nabc\r\n0\r\n\r\n")
    [r] = read_responses(out)
    assert (r.status, r.body) == (200, STYLE)


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("host", ["a b", "x:abc", "x/y", "[::1"])
def test_invalid_host_gets_400(handler: Handler, how: str, host: str) -> None:
    out, session = exchange(handler, f"GET /style.css HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(), how=how)
    [r] = read_responses(out)
    assert r.status == 400 and session.closing


def test_http_0_9_line_gets_400_at_once(handler: Handler) -> None:
    """`GET /` and its newline, nothing more: answered now, not after the header timeout."""
    out, session = exchange(handler, b"GET /\r\n")
    [r] = read_responses(out)
    assert r.status == 400 and session.closing


# -- preconditions (RFC 9110 13.1.1, 13.1.4, 13.2.2) -------------------------------------------

def test_if_match_uses_strong_comparison(handler: Handler) -> None:
    etag = get(handler, "/style.css").headers["etag"]
    assert get(handler, "/style.css", f"If-Match: {etag}").status == 200
    assert get(handler, "/style.css", f'If-Match: "a", {etag}').status == 200
    assert get(handler, "/style.css", "If-Match: *").status == 200
    failed = get(handler, "/style.css", 'If-Match: "stale"')
    assert failed.status == 412 and "connection" not in failed.headers
    assert get(handler, "/style.css", f"If-Match: W/{etag}").status == 412      # weak never matches strongly
    assert get(handler, "/big.bin", 'If-Match: "stale"').status == 412          # streamed files too
    assert get(handler, "/style.css", 'If-Match: "stale"', "Range: bytes=0-3").status == 412
    assert get(handler, "/style.css", 'If-Match: "stale"', method="HEAD").status == 412
    assert get(handler, "/missing", 'If-Match: "stale"').status == 404          # preconditions only for 2xx


def test_if_unmodified_since(handler: Handler) -> None:
    last_modified = get(handler, "/style.css").headers["last-modified"]
    assert get(handler, "/style.css", f"If-Unmodified-Since: {last_modified}").status == 200
    assert get(handler, "/style.css", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT").status == 412
    assert get(handler, "/style.css", "If-Unmodified-Since: not a date").status == 200   # invalid: ignored
    etag = get(handler, "/style.css").headers["etag"]
    # If-Match present: If-Unmodified-Since is not evaluated (13.2.2 step 2)
    assert get(handler, "/style.css", f"If-Match: {etag}", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"
               ).status == 200
    # 412 comes before 304 (step 1 and 2 before step 3)
    assert get(handler, "/style.css", 'If-Match: "stale"', f"If-None-Match: {etag}").status == 412


def test_listing_has_no_validators_so_only_if_match_star_holds(root: Path) -> None:
    handler = make_handler(root, listing=True)
    assert get(handler, "/img/", "If-Match: *").status == 200
    assert get(handler, "/img/", 'If-Match: "x"').status == 412
    assert get(handler, "/img/", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT").status == 200


# -- framing: one place decides Connection, Content-Length and HEAD ----------------------------

@pytest.mark.parametrize(("version", "asked", "connection"), [
    ("HTTP/1.1", "", None), ("HTTP/1.1", "close", "close"),
    ("HTTP/1.0", "", "close"), ("HTTP/1.0", "keep-alive", "keep-alive"),
])
@pytest.mark.parametrize(("target", "extra", "status"), [
    ("/style.css", "", 200), ("/big.bin", "", 200), ("/style.css", "Range: bytes=0-3", 206),
    ("/big.bin", "Range: bytes=0-3", 206), ("/docs", "", 301), ("/missing", "", 404),
    ("/style.css", 'If-Match: "x"', 412), ("/style.css", "Range: bytes=99999-", 416), ("/style.css", "*", 304),
])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_framing_is_the_same_for_every_status(handler: Handler, version: str, asked: str, connection: str | None,
                                               target: str, extra: str, status: int, method: str) -> None:
    headers = [f"Connection: {asked}"] if asked else []
    if extra == "*":
        headers.append("If-None-Match: *")
    elif extra:
        headers.append(extra)
    r = get(handler, target, *headers, method=method, version=version)
    if method == "HEAD" and extra.startswith("Range"):
        status = 200   # RFC 9110 14.2: ranges are defined for GET only; HEAD ignores them
    assert r.status == status
    assert r.headers.get("connection") == connection
    if status == 304:
        assert "content-length" not in r.headers and r.body == b""
    elif method == "HEAD":
        assert r.body == b"" and int(r.headers["content-length"]) > 0
    else:
        assert int(r.headers["content-length"]) == len(r.body) > 0


def test_405_with_head_of_other_method_has_a_body(handler: Handler) -> None:
    r = get(handler, "/", method="DELETE")
    assert r.status == 405 and int(r.headers["content-length"]) == len(r.body) > 0


# -- lingering close (RFC 9112 9.6) ------------------------------------------------------------

LINGER = Lingering(time=30, timeout=5, max_bytes=1000)


@pytest.fixture
def lingering_handler(root: Path) -> Handler:
    return Handler(make_handler(root).site, timeouts=Timeouts(header=10, keepalive=15, send=60), lingering=LINGER)


def test_refused_request_lingers_until_the_client_closes(lingering_handler: Handler) -> None:
    clock = FakeClock()
    out, session = exchange(lingering_handler, b"GET /" + b"a" * 9000, clock=clock)
    [r] = read_responses(out)
    assert r.status == 414 and session.closing and session.lingering
    assert session.deadline() == clock.now + 5           # lingering_timeout after the response left
    clock.now += 3
    session.receive(b"a" * 500)                          # still sending: discarded, the wait restarts
    assert session.lingering and session.outgoing() == b""
    assert session.deadline() == clock.now + 5
    session.receive(b"")                                 # the client closed: done
    assert not session.lingering


def test_lingering_time_bounds_a_trickle(lingering_handler: Handler) -> None:
    clock = FakeClock()
    start = clock.now
    _out, session = exchange(lingering_handler, b"BROKEN\r\n", clock=clock)
    for _ in range(20):                                  # a byte every 4 s never passes lingering_time
        clock.now += 4
        session.receive(b"x")
    assert session.lingering and session.deadline() == start + 30


def test_a_client_that_keeps_sending_is_cut_off_at_the_byte_limit(lingering_handler: Handler) -> None:
    _out, session = exchange(lingering_handler, b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n")
    sent = 0
    while session.lingering:
        session.receive(b"b" * 100)
        sent += 100
        assert sent <= 2000
    assert sent == 1100                                  # the first 100 bytes past max_bytes end it


def test_no_lingering_when_nothing_is_left_unread(handler: Handler) -> None:
    _out, session = exchange(handler, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert session.closing and not session.lingering
    _out, session = exchange(handler, b"GET / HTTP/1.0\r\n\r\n")
    assert session.closing and not session.lingering
    _out, session = exchange(handler, b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n", eof=True)
    assert session.closing and not session.lingering


def test_pipeline_cut_by_connection_close_lingers(handler: Handler) -> None:
    _out, session = exchange(handler, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                                      b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    assert session.closing and session.lingering
