"""The client's copy of the wire format agrees with the server's codec (the client image has no server code)."""

from __future__ import annotations

import pytest
from chatroom import protocol as p
from socketlab_clients import chat_client as c


def test_client_and_server_share_the_constants() -> None:
    assert c.REPLY_KEYWORDS == p.REPLY_KEYWORDS
    assert c.RECV_BUFFER >= p.MAX_REQUEST_BYTES


@pytest.mark.parametrize("datagram", [
    p.ok_login(4), p.OK, p.PONG, p.fail("name taken: alice 该用户已存在"), p.error("you are bob, not alice"),
    p.join_notice("小明"), p.chat_notice("OKAY", "ERR x"), p.leave_notice("bob", timed_out=True),
    p.admin_notice("维护"),
])
def test_client_classifies_like_the_server(datagram: bytes) -> None:
    parsed = p.parse_server_datagram(datagram)
    keyword, detail = c.classify(datagram)
    if isinstance(parsed, p.Reply):
        assert (keyword, detail) == (parsed.keyword, parsed.detail)
    else:
        assert (keyword, detail) == (None, parsed.text)


def test_client_reads_the_announced_timeout() -> None:
    assert c.announced_timeout(p.ok_login(4).decode().partition(" ")[2]) == 4
    assert c.announced_timeout("") is None
