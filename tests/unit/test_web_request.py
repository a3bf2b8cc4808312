"""The HTTP request parser, fed every input whole and one byte at a time."""

from __future__ import annotations

import pytest
from webserver.request import MAX_CHUNK_LINE, Limits, ParseError, Request, RequestParser, valid_host

from .feeding import FEEDS, pieces


def parse_all(data: bytes, how: str, limits: Limits | None = None) -> list[Request | ParseError]:
    """Everything the parser yields for `data`: requests, then the error that ended it, if any."""
    parser = RequestParser(limits)
    events: list[Request | ParseError] = []
    for piece in pieces(data, how):
        parser.feed(piece)
        while True:
            try:
                request = parser.next_request()
            except ParseError as exc:
                events.append(exc)
                return events
            if request is None:
                break
            events.append(request)
    return events


@pytest.mark.parametrize("how", FEEDS)
def test_simple_get(how: str) -> None:
    [req] = parse_all(b"GET /index.html?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n", how)
    assert (req.method, req.target, req.version) == ("GET", "/index.html?x=1", "HTTP/1.1")
    assert req.headers == {"host": "a", "user-agent": "t"}
    assert req.keep_alive and req.body_length == 0


@pytest.mark.parametrize("how", FEEDS)
def test_pipelined_requests_come_out_in_order(how: str) -> None:
    data = b"".join(f"GET /{i} HTTP/1.1\r\nHost: a\r\n\r\n".encode() for i in range(5))
    assert [r.target for r in parse_all(data, how)] == [f"/{i}" for i in range(5)]


@pytest.mark.parametrize("how", FEEDS)
def test_bare_lf_and_leading_empty_lines_are_accepted(how: str) -> None:
    [a, b] = parse_all(b"\r\n\nGET /a HTTP/1.0\nX: 1\n\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n", how)
    assert (a.target, a.version, a.headers) == ("/a", "HTTP/1.0", {"x": "1"})
    assert b.target == "/b"


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize(("head", "keep_alive"), [
    (b"GET / HTTP/1.1\r\nHost: a\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n", False),
    (b"GET / HTTP/1.0\r\n", False),
    (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n", True),
])
def test_keep_alive_rules(how: str, head: bytes, keep_alive: bool) -> None:
    [req] = parse_all(head + b"\r\n", how)
    assert req.keep_alive is keep_alive


@pytest.mark.parametrize("how", FEEDS)
def test_repeated_fields_are_joined(how: str) -> None:
    [req] = parse_all(b"GET / HTTP/1.1\r\nHost: a\r\nAccept: a/b\r\naccept:  c/d \r\n\r\n", how)
    assert req.headers["accept"] == "a/b, c/d"


@pytest.mark.parametrize("how", FEEDS)
def test_small_body_is_skipped_and_the_next_request_found(how: str) -> None:
    data = (b"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world"
            b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
    [post, nxt] = parse_all(data, how)
    assert (post.method, post.body_length) == ("POST", 11)
    assert nxt.target == "/next"


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize(("data", "status"), [
    (b"GET /\r\n\r\n", 400),                                        # HTTP/0.9 style
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),                  # invalid Host values (RFC 9112 3.2)
    (b"GET / HTTP/1.1\r\nHost: x:abc\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
    (b"GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400),                  # HTTP/1.0 may omit Host, not send a bad one
    (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                    # double space
    (b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400),
    (b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),                     # method not a token
    (b"GET / HTTQ/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),                                # no Host in 1.1
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),                    # space before colon
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400),  # obs-fold
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400),                 # raw non-ASCII target
    (b"\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x1\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n", 400),       # not hex
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\n", 400),      # BWS only before ;
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n", 400),  # bare LF
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n", 400),  # too long
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n", 413),
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n", 413),
])
def test_malformed_requests_are_refused(how: str, data: bytes, status: int) -> None:
    events = parse_all(data, how)
    assert isinstance(events[-1], ParseError), events
    assert events[-1].status == status


@pytest.mark.parametrize("how", FEEDS)
def test_long_request_line_gets_414_before_it_ends(how: str) -> None:
    limits = Limits(max_request_line=100, max_header_bytes=1000)
    events = parse_all(b"GET /" + b"a" * 200, how, limits)   # never finished: refused while still arriving
    assert isinstance(events[-1], ParseError) and events[-1].status == 414


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("extra, refused", [(0, False), (1, True)], ids=["at-the-limit", "one-over"])
def test_request_line_limit_is_exact(how: str, extra: int, refused: bool) -> None:
    """A request line of exactly `max_request_line` bytes (CRLF not counted) passes; one more is 414."""
    limits = Limits(max_request_line=100, max_header_bytes=1000)
    line = b"GET /" + b"a" * (100 - len(b"GET / HTTP/1.1") + extra) + b" HTTP/1.1"
    assert len(line) == 100 + extra
    events = parse_all(line + b"\r\nHost: a\r\n\r\n", how, limits)
    if refused:
        assert isinstance(events[-1], ParseError) and events[-1].status == 414
    else:
        assert [type(e) for e in events] == [Request]


@pytest.mark.parametrize("how", FEEDS)
def test_large_header_block_gets_431(how: str) -> None:
    limits = Limits(max_request_line=100, max_header_bytes=1000)
    data = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Filler: " + b"f" * 1200 + b"\r\n"
    events = parse_all(data, how, limits)
    assert isinstance(events[-1], ParseError) and events[-1].status == 431


@pytest.mark.parametrize("how", FEEDS)
def test_too_many_header_fields_get_431(how: str) -> None:
    data = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n"
    events = parse_all(data, how)
    assert isinstance(events[-1], ParseError) and events[-1].status == 431


def test_default_limits_accept_what_browsers_send() -> None:
    target = "/" + "a" * 8000
    [req] = parse_all(f"GET {target} HTTP/1.1\r\nHost: a\r\nCookie: {'c' * 7000}\r\n\r\n".encode(), "whole")
    assert req.target == target


def test_parser_is_dead_after_an_error() -> None:
    parser = RequestParser()
    parser.feed(b"BROKEN\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
    with pytest.raises(ParseError):
        parser.next_request()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert parser.next_request() is None


@pytest.mark.parametrize("how", FEEDS)
def test_chunked_body_is_parsed_then_the_next_request_found(how: str) -> None:
    """RFC 9112 7.1: sizes in hex, extensions and trailers ignored; the request comes out once the body is in."""
    data = (b"POST /form HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
            b"5\r\nhello\r\n00A;name=value; x\r\n0123456789\r\n1\r\n\n\r\n0\r\nX-Sum: 1\r\n\r\n"
            b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
    [post, nxt] = parse_all(data, how)
    assert (post.method, post.chunked, post.body_length, post.keep_alive) == ("POST", True, 16, True)
    assert nxt.target == "/next"


def test_chunked_request_waits_for_its_last_chunk() -> None:
    parser = RequestParser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
    assert parser.next_request() is None and parser.has_partial
    parser.feed(b"0\r\n\r\n")
    assert parser.next_request().body_length == 3
    assert not parser.has_partial


@pytest.mark.parametrize("how", FEEDS)
def test_chunked_body_limit_is_exact(how: str) -> None:
    limits = Limits(max_body=10)
    head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    [ok] = parse_all(head + b"6\r\naaaaaa\r\n4\r\nbbbb\r\n0\r\n\r\n", how, limits)
    assert ok.body_length == 10
    [refused] = parse_all(head + b"6\r\naaaaaa\r\n5\r\n", how, limits)   # refused at the size, before the data
    assert isinstance(refused, ParseError) and refused.status == 413


@pytest.mark.parametrize("how", FEEDS)
def test_endless_chunk_size_line_is_refused_while_it_arrives(how: str) -> None:
    data = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + b"e" * (MAX_CHUNK_LINE + 10)
    [refused] = parse_all(data, how)
    assert isinstance(refused, ParseError) and refused.status == 400


@pytest.mark.parametrize("how", FEEDS)
@pytest.mark.parametrize("line", [b"GET /", b"GET /index.html", b"GET / HTTP/2.0", b"GET / FTP/1.1", b"x"])
def test_a_complete_bad_request_line_is_refused_before_the_head_ends(how: str, line: bytes) -> None:
    """No waiting for the header timeout: the line is judged as soon as its newline arrives."""
    [refused] = parse_all(line + b"\r\n", how)
    assert isinstance(refused, ParseError) and refused.status in (400, 505)
    [refused] = parse_all(line + b"\n", how)
    assert isinstance(refused, ParseError)


def test_a_good_request_line_alone_waits_for_the_rest() -> None:
    assert parse_all(b"GET / HTTP/1.1\r\nHost: a\r\n", "whole") == []


@pytest.mark.parametrize("host", ["a", "example.com", "example.com:8000", "10.0.0.1:80", "[::1]", "[::1]:8000",
                                  "[v1.fe80::a+en1]", "", "x:", "a%41b", "xn--fiqs8s.example", "a_b!$&'()*+,;="])
def test_valid_host_values(host: str) -> None:
    assert valid_host(host)
    [req] = parse_all(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(), "whole")
    assert req.headers["host"] == host


@pytest.mark.parametrize("host", ["a b", "x:abc", "x/y", "[::1", "::1", "[zz]", "[::1]x", "[fe80::1%eth0]", "a@b",
                                  "a%4", "x:1:2", "\u00e9", "a?b", "a#b", "[]"])
def test_invalid_host_values(host: str) -> None:
    assert not valid_host(host)
