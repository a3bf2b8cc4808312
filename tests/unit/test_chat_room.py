"""The room's state machine, driven by datagrams and a fake clock: no sockets."""

from __future__ import annotations

import logging

import pytest
from chatroom.room import Room
from socketlab_common.wire import chat as p

from .feeding import pieces

ALICE, BOB, XIAOMING, MALLORY = ("10.0.1.50", 4000), ("10.0.1.51", 4001), ("10.0.1.52", 4002), ("10.0.1.66", 6666)


def decoded(out: list) -> list[tuple[tuple, str]]:
    return [(addr, data.decode()) for addr, data in out]


@pytest.fixture
def room() -> Room:
    """alice, bob and 小明 logged in at t=0."""
    room = Room(timeout=10)
    for addr, name in ((ALICE, "alice"), (BOB, "bob"), (XIAOMING, "小明")):
        room.handle(addr, f"L {name}".encode(), 0.0)
    return room


def test_join_replies_ok_and_tells_only_the_others() -> None:
    room = Room(timeout=10)
    assert decoded(room.handle(ALICE, b"L alice", 0)) == [(ALICE, "OK timeout=10")]
    assert decoded(room.handle(BOB, b"L bob", 0)) == [(BOB, "OK timeout=10"), (ALICE, "bob 进入了聊天室")]
    out = decoded(room.handle(XIAOMING, "L 小明".encode(), 0))
    assert out == [(XIAOMING, "OK timeout=10"), (ALICE, "小明 进入了聊天室"), (BOB, "小明 进入了聊天室")]


def test_duplicate_name_is_refused_and_nobody_is_told(room: Room) -> None:
    assert decoded(room.handle(MALLORY, b"L alice", 1)) == [(MALLORY, "Fail name taken: alice 该用户已存在")]
    assert room.by_name["alice"].addr == ALICE


def test_retransmitted_login_is_idempotent(room: Room) -> None:
    assert decoded(room.handle(ALICE, b"L alice", 1)) == [(ALICE, "OK timeout=10")]


def test_one_address_holds_one_name(room: Room) -> None:
    out = decoded(room.handle(ALICE, b"L alice2", 1))
    assert out == [(ALICE, "Fail this address is already in the room as alice")]
    assert "alice2" not in room.by_name


def test_chat_reaches_exactly_the_others_in_order(room: Room) -> None:
    out = decoded(room.handle(ALICE, b"C alice hello", 1) + room.handle(ALICE, "C alice 你好".encode(), 1))
    assert out == [(BOB, "alice : hello"), (XIAOMING, "alice : hello"),
                   (BOB, "alice : 你好"), (XIAOMING, "alice : 你好")]


def test_quit_acknowledges_tells_the_others_and_frees_the_name(room: Room) -> None:
    out = decoded(room.handle(BOB, b"Q bob", 1))
    assert out == [(BOB, "OK"), (ALICE, "bob 退出了聊天室"), (XIAOMING, "bob 退出了聊天室")]
    assert "bob" not in room.by_name and BOB not in room.by_addr
    assert decoded(room.handle(BOB, b"C bob still here?", 2)) == [(BOB, "ERR not logged in: send L name first")]
    assert decoded(room.handle(MALLORY, b"L bob", 2))[0] == (MALLORY, "OK timeout=10")  # name reusable


def test_silent_member_times_out_and_heartbeats_keep_the_others(room: Room) -> None:
    for t in (4.0, 8.0, 12.0):
        room.handle(ALICE, b"H alice", t)
        room.handle(XIAOMING, "C 小明 still here".encode(), t)
    assert room.expire(9.9) == []
    out = decoded(room.expire(10.5))
    assert out == [(ALICE, "bob 退出了聊天室 (timeout)"), (XIAOMING, "bob 退出了聊天室 (timeout)")]
    assert set(room.by_name) == {"alice", "小明"}
    assert room.stats["timeouts"] == 1
    assert decoded(room.handle(BOB, b"H bob", 11)) == [(BOB, "ERR not logged in as bob")]  # client learns it


def test_heartbeat_answers_pong(room: Room) -> None:
    assert room.handle(ALICE, b"H alice", 1) == [(ALICE, b"PONG")]
    assert room.handle(MALLORY, b"H", 1) == [(MALLORY, b"PONG")]  # a bare ping: health probes
    assert MALLORY not in room.by_addr


def test_spoofed_chat_reaches_no_one_and_is_logged(room: Room, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="chat.room"):
        out = decoded(room.handle(MALLORY, b"C alice I am alice", 1))
    assert out == [(MALLORY, "ERR not logged in: send L name first")]
    assert "spoof" in caplog.text and "10.0.1.66" in caplog.text
    assert room.stats["spoofed"] == 1


def test_member_cannot_speak_or_quit_as_another(room: Room) -> None:
    assert decoded(room.handle(BOB, b"C alice hi", 1)) == [(BOB, "ERR you are bob, not alice")]
    assert decoded(room.handle(BOB, b"Q alice", 1)) == [(BOB, "ERR you are bob, not alice")]
    assert decoded(room.handle(MALLORY, b"Q alice", 1)) == [(MALLORY, "ERR not logged in: send L name first")]
    assert "alice" in room.by_name and room.stats["spoofed"] == 3


def test_spoofed_datagrams_do_not_keep_the_victim_alive(room: Room) -> None:
    room.handle(MALLORY, b"H alice", 9)
    room.handle(MALLORY, b"C alice hi", 9)
    room.handle(ALICE, b"H alice", 0)  # alice's own last word was at t=0
    room.expire(10.5)
    assert "alice" not in room.by_name


@pytest.mark.parametrize("payload", [b"", b"\xff\xfe\xfd", b"Z what", b"C alice", b"L two words",
                                     b"C alice " + b"x" * 5000, "C alice 行一\n行二".encode()])
def test_malformed_datagrams_get_an_error_and_change_nothing(room: Room, payload: bytes) -> None:
    before = set(room.by_name)
    out = room.handle(ALICE, payload, 1)
    assert len(out) == 1 and out[0][0] == ALICE and out[0][1].startswith(b"ERR ")
    assert set(room.by_name) == before
    assert decoded(room.handle(BOB, b"C bob fine", 1)) == [(ALICE, "bob : fine"), (XIAOMING, "bob : fine")]


def test_request_fed_one_byte_at_a_time_is_refused_not_half_understood(room: Room) -> None:
    """UDP has no stream: each datagram is a whole request, so fragments are separate bad requests."""
    for byte in pieces(b"C alice hi", "bytewise"):
        out = room.handle(ALICE, byte, 1)
        assert all(addr == ALICE and data.startswith(b"ERR") for addr, data in out)
    assert room.stats["chats"] == 0


def test_replies_are_never_answered(room: Room) -> None:
    for payload in (b"OK", b"ERR boom", b"PONG", b"Fail x"):
        assert room.handle(MALLORY, payload, 1) == []


def test_announcement_reaches_every_member(room: Room) -> None:
    out = decoded(room.announce("今晚维护"))
    assert sorted(out) == sorted((a, "管理员消息: 今晚维护") for a in (ALICE, BOB, XIAOMING))
    with pytest.raises(p.ProtocolError):
        room.announce("")


def test_room_full_refuses_politely() -> None:
    room = Room(max_members=1)
    room.handle(ALICE, b"L alice", 0)
    assert decoded(room.handle(BOB, b"L bob", 0)) == [(BOB, "Fail room is full (1 members)")]


@pytest.mark.parametrize(("seconds", "passed"), [(0.05, 40), (2.0, 60)])
def test_a_storm_from_one_member_is_cut_to_its_rate(room: Room, seconds: float, passed: int) -> None:
    """3,000 lines: a burst goes through, then the rate; the rest is dropped, the sender is told once."""
    room.rate, room.burst = 10, 40
    relayed = errors = 0
    for i in range(3000):
        out = room.handle(ALICE, f"C alice storm {i}".encode(), 1.0 + i * seconds / 3000)
        relayed += sum(1 for addr, _ in out if addr == BOB)
        errors += sum(1 for addr, data in out if addr == ALICE and data.startswith(b"ERR slow down"))
    assert passed - 1 <= relayed <= passed  # the last refill may land just after the last line
    assert errors == 1
    assert room.stats["throttled"] == 3000 - relayed
    # The others are untouched, and alice speaks again once her bucket refills.
    assert decoded(room.handle(BOB, b"C bob hi", 1.0 + seconds))[0] == (ALICE, "bob : hi")
    assert decoded(room.handle(ALICE, b"C alice calm again", 1.3 + seconds)) == [
        (BOB, "alice : calm again"), (XIAOMING, "alice : calm again")]
    # After a calm spell, a new storm is told again.
    storm = [room.handle(ALICE, b"C alice again", 10.0 + seconds) for _ in range(60)]
    assert sum(1 for out in storm for _, data in out if data.startswith(b"ERR slow down")) == 1


def test_the_rate_limit_can_be_turned_off() -> None:
    room = Room(timeout=10, rate=0)
    room.handle(ALICE, b"L alice", 0)
    room.handle(BOB, b"L bob", 0)
    assert sum(len(room.handle(ALICE, b"C alice x", 0)) for _ in range(500)) == 500


def test_one_host_cannot_take_every_seat() -> None:
    """One IP with 300 source ports gets its share; a second host still finds a seat."""
    room = Room(timeout=10, max_members=256, max_per_host=16)
    answers = [room.handle(("10.0.1.66", 10000 + i), f"L m{i}".encode(), 0)[0][1] for i in range(300)]
    assert sum(a.startswith(b"OK") for a in answers) == 16
    assert answers[16] == b"Fail too many members from 10.0.1.66 (16)"
    assert decoded(room.handle(BOB, b"L bob", 0))[0] == (BOB, "OK timeout=10")
    # A seat freed by a member of that host can be taken by another of its ports.
    room.handle(("10.0.1.66", 10000), b"Q m0", 1)
    assert room.handle(("10.0.1.66", 20000), b"L late", 1)[0][1].startswith(b"OK")
