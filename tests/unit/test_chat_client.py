"""The chat client speaks the room's own codec (socketlab_common.wire.chat): no copy of the format of its own."""

from __future__ import annotations

import ftplib
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


def test_every_login_refusal_of_the_room_reads_in_chinese_then_english() -> None:
    from chatroom.room import Room

    room = Room(max_members=2, max_per_host=1)
    assert c.classify(room.handle(("10.0.0.1", 1), b"L bob", 0.0)[0][1])[0] == "OK"

    def refusal(addr: tuple[str, int], payload: bytes) -> str:
        keyword, detail = c.classify(room.handle(addr, payload, 0.0)[0][1])
        assert keyword in ("Fail", "ERR"), detail
        return detail

    reasons = [refusal(("10.0.0.2", 1), b"L bob"), refusal(("10.0.0.2", 1), b"L "),
               refusal(("10.0.0.2", 1), b"L a\tb"), refusal(("10.0.0.2", 1), b"L " + b"x" * 33),
               refusal(("10.0.0.2", 1), b"L OK"), refusal(("10.0.0.1", 1), b"L carol"),
               refusal(("10.0.0.1", 2), b"L dave")]
    assert c.classify(room.handle(("10.0.0.3", 1), b"L eve", 0.0)[0][1])[0] == "OK"
    reasons.append(refusal(("10.0.0.4", 1), b"L fay"))
    for reason in reasons:
        chinese, english = c.refusal_lines(reason)
        assert chinese.startswith("登录失败：") and chinese != "登录失败：登录失败", reason
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english), english  # one language per line
        assert english == f"login refused: {reason.removesuffix(' 该用户已存在')}"


def test_ftp_client_says_how_to_upload_when_anonymous_is_refused() -> None:
    from socketlab_clients.ftp_client import _explain

    text = _explain(ftplib.error_perm("550 Permission denied: anonymous users may not write here."))
    assert "--user student --password socketlab" in text
    assert "--user" not in _explain(ftplib.error_perm("550 no such file"))
