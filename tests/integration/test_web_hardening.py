"""The web service's hardening, reproduced from a client host on its own IP.

* Lingering close (RFC 9112 9.6): a client still sending a 100 KB request
  line or a 10 MB body when the server answers reads the whole 414/413 and a
  clean end of stream — on select (compose) and on poll, epoll and thread;
  Python's urllib uploading 10 MB gets its 413 (today: a broken pipe), and
  curl still does; a client that never stops is cut off.
* Standards: a chunked POST gets 405 on a connection that stays usable; an
  invalid Host 400; If-Match / If-Unmodified-Since 412; an HTTP/0.9 line
  its 400 at once, not a silent drop at the header timeout.
* Every response of a battery of requests passes h11, a strict HTTP/1.1
  client state machine, plus the checks h11 leaves out (Date, HEAD = GET).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from email.utils import parsedate_to_datetime

import h11
import pytest

from socketlab.hosts import ClientHost
from socketlab.settings import REPO_ROOT

from ..lingering_client import FOREVER_CAP
from .lab import ComposeLab

LINGERING_CLIENT = (REPO_ROOT / "tests" / "lingering_client.py").read_text()
COMPOSE_LINGERING_BYTES = 64 * 1024 * 1024   # the image's default (Lingering.max_bytes)


@pytest.fixture(scope="module")
def host(lab: ComposeLab) -> ClientHost:
    return lab.client_host(host_number=85)


@pytest.fixture(scope="module")
def web_ip(lab: ComposeLab) -> str:
    return lab.service_ip("web")


def sh(host: ClientHost, script: str, timeout: float = 120) -> str:
    result = host.sh(script, timeout=timeout)
    assert result.exit_code == 0, result.output
    return result.stdout


def still_sending(host: ClientHost, ip: str, case: str) -> dict:
    result = host.run("python3", "-c", LINGERING_CLIENT, ip, "8000", case, timeout=180)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- lingering close ---------------------------------------------------------------------------

def assert_read_whole_refusal(outcome: dict, status: int) -> None:
    assert outcome["send_error"] is None, outcome          # today's server: EPIPE / ECONNRESET here
    assert outcome["status"] == status and outcome["complete"] and outcome["clean_eof"], outcome


def test_client_still_sending_reads_the_refusal_on_every_model(host: ClientHost, web_ip: str,
                                                                web_models: dict) -> None:
    for ip in [web_ip, *(ip for ip, _container in web_models.values())]:   # select (compose), poll, epoll, thread
        for case, status in [("long-line", 414), ("big-body", 413)]:
            assert_read_whole_refusal(still_sending(host, ip, case), status)


URLLIB_UPLOAD = """
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"x" * (10 << 20)), timeout=60)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError as exc:
    print(type(exc).__name__, exc)
"""


def test_real_clients_uploading_10_mb_get_their_413(host: ClientHost, web_ip: str) -> None:
    """Python's urllib sends the whole body, then reads: today's server leaves it a broken pipe, not the 413.

    curl stops its upload when an answer arrives early and reads it, so it got its 413 before too:
    checked here so that lingering never costs it that.
    """
    result = host.run("python3", "-c", URLLIB_UPLOAD, f"http://{web_ip}:8000/", timeout=120)
    assert result.stdout.strip() == "413", result.output
    out = sh(host, "head -c 10M /dev/zero > /tmp/10m && "
                   f"curl -sS -o /dev/null -w '%{{http_code}}' -H 'Expect:' --data-binary @/tmp/10m "
                   f"http://{web_ip}:8000/; echo \" exit=$?\"; rm -f /tmp/10m")
    assert out.strip() == "413 exit=0", out


def test_client_sending_forever_is_cut_off(host: ClientHost, web_ip: str) -> None:
    outcome = still_sending(host, web_ip, "forever")
    assert outcome["status"] == 413 and outcome["complete"], outcome   # it read its answer first...
    assert outcome["send_error"] is not None, outcome                  # ...and was cut off at the limit
    assert COMPOSE_LINGERING_BYTES <= outcome["late_sent"] < FOREVER_CAP, outcome


# -- standards -----------------------------------------------------------------------------------

def statuses(host: ClientHost, ip: str, requests: list[list[str]]) -> list[str]:
    """One curl per argument list, in one shell on the client host; their status codes."""
    script = "; ".join("curl -s -o /dev/null -w '%{http_code}\\n' " + " ".join(shlex.quote(a) for a in args)
                       + f" http://{ip}:8000{path}" for path, *args in requests)
    return sh(host, script).split()


def test_chunked_post_gets_405_and_the_connection_is_reused(host: ClientHost, web_ip: str) -> None:
    base = f"http://{web_ip}:8000"
    verbose = host.sh(f"printf 'hello chunked world' > /tmp/body && curl -sv -o /dev/null -o /dev/null "
                      f"-w '%{{http_code}}\\n' -H 'Transfer-Encoding: chunked' --data-binary @/tmp/body {base}/ "
                      f"--next -o /dev/null -w '%{{http_code}}\\n' {base}/css/style.css")
    assert verbose.exit_code == 0, verbose.output
    assert verbose.stdout.split() == ["405", "200"], verbose.output
    assert "Transfer-Encoding: chunked" in verbose.stderr          # curl really sent chunks
    assert "Re-using existing connection" in verbose.stderr        # the body was parsed, the stream kept in step


def test_invalid_host_values_get_400(host: ClientHost, web_ip: str) -> None:
    cases = ["a b", "x:abc", "x/y", "[::1"]
    got = statuses(host, web_ip, [["/", "-H", f"Host: {value}"] for value in cases])
    assert got == ["400"] * len(cases)
    assert statuses(host, web_ip, [["/", "-H", "Host: example.com:8000"], ["/", "-H", "Host: [::1]:80"]]) == \
        ["200", "200"]


def test_if_match_and_if_unmodified_since_give_412(host: ClientHost, web_ip: str) -> None:
    headers = sh(host, f"curl -sS -I http://{web_ip}:8000/css/style.css")
    etag = re.search(r"ETag: (\S+)", headers).group(1)
    last_modified = re.search(r"Last-Modified: (.+?)\r", headers).group(1)
    css = "/css/style.css"
    got = statuses(host, web_ip, [
        [css, "-H", 'If-Match: "stale"'], [css, "-H", f"If-Match: W/{etag}"],
        [css, "-H", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"],
        [css, "-H", f"If-Match: {etag}"], [css, "-H", "If-Match: *"],
        [css, "-H", f"If-Unmodified-Since: {last_modified}"],
    ])
    assert got == ["412", "412", "412", "200", "200", "200"]


HTTP09 = """
import socket, sys
sock = socket.create_connection((sys.argv[1], 8000))
sock.sendall(b"GET /\\r\\n")
sock.settimeout(30)
data = b""
while chunk := sock.recv(65536):
    data += chunk
sys.stdout.write(data.decode("latin-1"))
"""


def test_http_0_9_line_gets_400_not_a_timeout(host: ClientHost, web_ip: str) -> None:
    """Today's server says nothing and drops the connection at the header timeout; now: 400 at once."""
    result = host.run("python3", "-c", HTTP09, web_ip, timeout=60)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("HTTP/1.1 400 Bad Request\r\n"), result.stdout[:200]


# -- every response passes a strict HTTP/1.1 client ----------------------------------------------

BATTERY: list[list[tuple[str, str, list[tuple[str, str]], bytes | None]]] = [
    # one connection per list; requests on a connection are sent back to back (pipelined)
    [("GET", "/", [], None), ("HEAD", "/", [], None), ("GET", "/css/style.css", [("Range", "bytes=0-9")], None),
     ("GET", "/images/logo.png", [], None), ("GET", "/docs", [], None), ("GET", "/missing", [], None),
     ("GET", "/css/style.css", [("If-None-Match", "*")], None), ("GET", "/css/style.css", [("If-Match", '"x"')], None),
     ("GET", "/css/style.css", [("Range", "bytes=99999-")], None), ("DELETE", "/", [], None),
     ("POST", "/", [("Transfer-Encoding", "chunked")], b"chunked body"),
     ("POST", "/", [("Content-Length", "4")], b"body"), ("HEAD", "/bench/100k.txt", [], None),
     ("GET", "/bench/100k.txt", [("Connection", "close")], None)],
    [("GET", "/../../etc/passwd", [("Connection", "close")], None)],
    [("GET", "/zh.html", [("Connection", "close")], None)],
]

SEND_ALL = """
import base64, json, socket, sys
out = []
for raw in json.load(sys.stdin):
    sock = socket.create_connection((sys.argv[1], 8000))
    sock.sendall(base64.b64decode(raw))
    sock.settimeout(30)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    out.append(base64.b64encode(data).decode())
json.dump(out, sys.stdout)
"""


def encode(requests: list) -> bytes:
    """The request bytes as h11 writes them (a fresh client connection per request)."""
    data = b""
    for method, target, headers, body in requests:
        conn = h11.Connection(h11.CLIENT)
        data += conn.send(h11.Request(method=method, target=target, headers=[("Host", "lint"), *headers]))
        if body is not None:
            data += conn.send(h11.Data(data=body))
        data += conn.send(h11.EndOfMessage())
    return data


def lint(requests: list, raw: bytes) -> list[tuple[h11.Response, bytes]]:
    """Parse a connection's responses with h11; any framing or syntax fault raises RemoteProtocolError."""
    conn = h11.Connection(h11.CLIENT)
    conn.receive_data(raw)
    conn.receive_data(b"")   # the server closed after the last response
    responses = []
    for i, (method, target, headers, body) in enumerate(requests):
        conn.send(h11.Request(method=method, target=target, headers=[("Host", "lint"), *headers]))
        if body is not None:
            conn.send(h11.Data(data=body))
        conn.send(h11.EndOfMessage())
        response, content = None, b""
        while True:
            event = conn.next_event()
            assert event is not h11.NEED_DATA, f"response {i} to {method} {target} is incomplete"
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                content += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        responses.append((response, content))
        if i < len(requests) - 1:
            conn.start_next_cycle()
    assert isinstance(conn.next_event(), h11.ConnectionClosed)   # nothing after the last response
    return responses


def test_every_response_passes_a_strict_http_client(host: ClientHost, web_ip: str) -> None:
    payload = json.dumps([base64.b64encode(encode(requests)).decode() for requests in BATTERY])
    result = host.run("python3", "-c", SEND_ALL, web_ip, stdin=payload, timeout=120)
    assert result.exit_code == 0, result.output
    raws = [base64.b64decode(r) for r in json.loads(result.stdout)]
    by_request = {}
    for requests, raw in zip(BATTERY, raws, strict=True):
        for (method, target, headers, _body), (response, content) in zip(requests, lint(requests, raw), strict=True):
            fields = {k.decode().lower(): v.decode() for k, v in response.headers}
            assert response.http_version == b"1.1" and response.reason, response
            assert parsedate_to_datetime(fields["date"]).tzname() == "UTC"   # an IMF-fixdate
            assert fields["server"] == "socketlab-web"
            if response.status_code != 304 and method != "HEAD":
                assert int(fields["content-length"]) == len(content)
                assert "content-type" in fields
            by_request[(method, target, tuple(headers))] = (response.status_code, fields, content)
    statuses = [by_request[(m, t, tuple(h))][0] for requests in BATTERY for m, t, h, _b in requests]
    assert statuses == [200, 200, 206, 200, 301, 404, 304, 412, 416, 405, 405, 405, 200, 200, 400, 200]
    get_fields = by_request[("GET", "/bench/100k.txt", (("Connection", "close"),))][1]
    head_fields = by_request[("HEAD", "/bench/100k.txt", ())][1]
    assert head_fields["content-length"] == get_fields["content-length"]
    assert head_fields["etag"] == get_fields["etag"]
