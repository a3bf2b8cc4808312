"""The chat client speaks the room's own codec (socketlab_common.wire.chat): no copy of the format of its own."""

from __future__ import annotations

import socket
import threading

import pytest
from socketlab_clients import chat_client as c
from socketlab_common.wire import chat as p


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


def test_what_the_client_sends_is_what_the_room_parses() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as room:
        room.bind(("127.0.0.1", 0))
        room.settimeout(5)
        client = c.ChatClient(room.getsockname(), c.Display(False), interactive=False, heartbeat=None)
        try:
            def answer_login() -> None:
                data, addr = room.recvfrom(p.RECV_BUFFER)
                assert p.parse_request(data) == p.Login("小明")
                room.sendto(p.ok_login(8), addr)

            server = threading.Thread(target=answer_login)
            server.start()
            assert client.login("小明") == (True, "")
            server.join(5)
            assert client.heartbeat == 2  # a quarter of the timeout the room announced
            client.say("你好 hello")
            assert p.parse_request(room.recvfrom(p.RECV_BUFFER)[0]) == p.Chat("小明", "你好 hello")
        finally:
            client.close()
