"""The HTTP request parser, fed every input whole and one byte at a time."""

from __future__ import annotations

import pytest
from webserver.request import Limits, ParseError, Request, RequestParser

FEEDS = ["whole", "bytewise"]


def parse_all(data: bytes, how: str, limits: Limits | None = None) -> list[Request | ParseError]:
    """Everything the parser yields for `data`: requests, then the error that ended it, if any."""
    parser = RequestParser(limits)
    events: list[Request | ParseError] = []
    pieces = [data] if how == "whole" else [data[i:i + 1] for i in range(len(data))]
    for piece in pieces:
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
    (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
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
