"""The chat codec: requests in the notes' shapes, names and texts checked, replies told from notices."""

from __future__ import annotations

import pytest
from socketlab_common.wire import chat as p


@pytest.mark.parametrize(("payload", "request_"), [
    ("L alice", p.Login("alice")),
    ("L 小明", p.Login("小明")),
    ("C alice hello world", p.Chat("alice", "hello world")),
    ("C 小明 你好 世界", p.Chat("小明", "你好 世界")),
    ("C bob  leading space kept", p.Chat("bob", " leading space kept")),
    ("Q alice", p.Quit("alice")),
    ("H alice", p.Heartbeat("alice")),
    ("H", p.Heartbeat(None)),
])
def test_requests_parse_and_encode_back(payload: str, request_: p.Request) -> None:
    assert p.parse_request(payload.encode()) == request_
    assert p.encode_request(request_) == payload.encode()


@pytest.mark.parametrize(("payload", "reason"), [
    (b"", "empty datagram"),
    (b"X alice", "unknown request"),
    (b"hello", "unknown request"),
    (b"L", "empty name"),
    (b"L ", "empty name"),
    (b"L alice smith", "space"),
    (b"L a\tb", "space or control"),
    (b"L a\x00b", "control"),
    (b"L " + "名" .encode() * 33, "longer than 32"),
    (b"L OK", "reserved"),
    (b"L PONG", "reserved"),
    (b"L \xe7\xae\xa1\xe7\x90\x86\xe5\x91\x98", "reserved"),  # 管理员
    (b"L \xff\xfe", "UTF-8"),
    (b"C alice", "needs a name and a message"),
    (b"C alice ", "empty message"),
    (b"C alice line\n\xe7\xae\xa1\xe7\x90\x86\xe5\x91\x98\xe6\xb6\x88\xe6\x81\xaf: fake", "control"),
    (b"C alice " + b"x" * (p.MAX_TEXT_BYTES + 1), "longer than"),
    (b"C alice " + b"x" * p.MAX_REQUEST_BYTES, "too large"),
])
def test_bad_requests_say_what_is_wrong(payload: bytes, reason: str) -> None:
    with pytest.raises(p.ProtocolError, match=reason):
        p.parse_request(payload)


def test_name_limits_count_characters_not_bytes() -> None:
    assert p.check_name("名" * 32) == "名" * 32
    assert p.parse_request(f"C {'名' * 32} {'字' * 333}".encode()).text == "字" * 333


def test_longest_valid_request_fits_the_limits() -> None:
    longest = p.encode_request(p.Chat("𝒜" * 32, "x" * p.MAX_TEXT_BYTES))
    assert len(longest) == p.MAX_REQUEST_BYTES < p.RECV_BUFFER
    assert len(p.chat_notice("𝒜" * 32, "x" * p.MAX_TEXT_BYTES)) < 1472  # one unfragmented datagram


def test_names_are_normalized_so_lookalikes_collide() -> None:
    assert p.check_name("e\u0301") == p.check_name("\u00e9")


def test_replies_and_notices_are_told_apart() -> None:
    assert p.parse_server_datagram(p.ok_login(30)) == p.Reply("OK", "timeout=30")
    assert p.login_timeout(p.Reply("OK", "timeout=2.5")) == 2.5
    assert p.parse_server_datagram(p.fail("name taken")) == p.Reply("Fail", "name taken")
    assert p.parse_server_datagram(p.PONG) == p.Reply("PONG")
    for notice in (p.join_notice("OKAY"), p.chat_notice("alice", "OK then"), p.admin_notice("OK"),
                   p.leave_notice("小明", timed_out=True)):
        assert isinstance(p.parse_server_datagram(notice), p.Notice)


def test_notices_are_the_notes_lines() -> None:
    assert p.join_notice("小明").decode() == "小明 进入了聊天室"
    assert p.chat_notice("alice", "hi").decode() == "alice : hi"
    assert p.leave_notice("bob").decode() == "bob 退出了聊天室"
    assert p.admin_notice("维护").decode() == "管理员消息: 维护"


def test_is_reply_recognises_only_reply_keywords() -> None:
    assert p.is_reply(b"OK") and p.is_reply(b"ERR x") and p.is_reply(b"PONG") and p.is_reply(b"Fail y")
    assert not p.is_reply(b"OKAY") and not p.is_reply(b"L OK") and not p.is_reply(b"\xff")
