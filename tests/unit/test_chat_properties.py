"""Property-based fuzzing of the chat codec and room (profiles: tests/hypothesis_profiles.py).

Inputs: requests built from the codec's own types with random names and
texts (any Unicode, reserved words, control characters, over-long), their
encodings with random mutations, and plain random bytes, sent from a few
addresses (some on one host) at increasing times. The properties:

* the codec raises nothing but `ProtocolError`; a request it accepts encodes
  back to a datagram that parses to the same request, and a valid request
  parses to exactly what was built;
* the room raises nothing, whatever arrives; its indexes agree (name, address,
  per-host counts), it never exceeds its seats or a host's share, never
  answers a reply keyword, never echoes a line to its sender, and answers one
  datagram with at most one datagram per member plus one to the sender, each
  small enough for one unfragmented UDP packet.
"""

from __future__ import annotations

from collections import Counter

from chatroom.room import Room
from hypothesis import given
from hypothesis import strategies as st
from socketlab_common.wire import chat as p

# -- strategies ------------------------------------------------------------------------------

names = st.sampled_from(["alice", "bob", "小明", "OK", "ERR", "管理员", "管理员x", "a b", "", "x" * 33, "é", "e\u0301",
                         "\u200b", "tab\t"]) | st.text(max_size=34)
texts = st.sampled_from(["hello", "你好", "a\nb", "\x1b[2J", "x" * 1001, "", " "]) | st.text(max_size=60)
requests = st.one_of(st.builds(p.Login, names), st.builds(p.Chat, names, texts), st.builds(p.Quit, names),
                     st.builds(p.Heartbeat, st.none() | names))


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, delete, insert in edits:
        at = position % (len(out) + 1)
        out[at:at + delete] = insert
    return bytes(out)


edits = st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 3),
                           st.sampled_from([b"", b" ", b"\n", b"\x00", b"\xff", b"\xc3", b"OK ", b"C "])
                           | st.binary(max_size=3)), max_size=4)
datagrams = st.one_of(
    requests.map(p.encode_request),
    st.builds(mutate, requests.map(p.encode_request), edits),
    st.binary(max_size=1300),
    st.sampled_from([p.OK, p.PONG, b"ERR x", b"Fail y", b"H", b"L", b"C", b"Q "]),
)
ADDRESSES = [("10.0.1.50", 4000), ("10.0.1.50", 4001), ("10.0.1.50", 4002), ("10.0.1.51", 5000),
             ("10.0.1.52", 6000)]
traffic = st.lists(st.tuples(st.sampled_from(ADDRESSES), datagrams, st.floats(0, 3)), max_size=60)

# -- the codec ---------------------------------------------------------------------------------


@given(data=datagrams)
def test_the_codec_refuses_only_with_protocol_error_and_round_trips(data: bytes) -> None:
    try:
        request = p.parse_request(data)
    except p.ProtocolError:
        return
    assert p.parse_request(p.encode_request(request)) == request
    assert len(p.encode_request(request)) <= p.MAX_REQUEST_BYTES


@given(request=requests)
def test_a_valid_request_parses_to_what_was_built(request: p.Request) -> None:
    try:
        name = request.name if request.name is None else p.check_name(request.name)
        if isinstance(request, p.Chat):
            p.check_text(request.text)
    except p.ProtocolError:
        return
    if name != request.name:
        return  # NFC normalises the name: the built one was not in normal form
    assert p.parse_request(p.encode_request(request)) == request


@given(data=st.binary(max_size=200))
def test_any_server_datagram_is_a_reply_or_a_notice(data: bytes) -> None:
    parsed = p.parse_server_datagram(data)
    assert isinstance(parsed, p.Reply | p.Notice)
    if isinstance(parsed, p.Reply):
        assert parsed.keyword in p.REPLY_KEYWORDS


# -- the room ----------------------------------------------------------------------------------


@given(events=traffic, max_members=st.integers(1, 6), max_per_host=st.integers(0, 3))
def test_the_room_keeps_its_rules_whatever_arrives(events: list, max_members: int, max_per_host: int) -> None:
    room = Room(timeout=2.0, max_members=max_members, max_per_host=max_per_host, rate=5, burst=3)
    now = 0.0
    for addr, data, step in events:
        now += step
        members_before = {m.addr for m in room.members()}
        out = room.handle(addr, data, now)
        if p.is_reply(data):
            assert out == []
        to_sender = [d for a, d in out if a == addr]
        assert len(to_sender) <= 1
        if isinstance(request := _parsed(data), p.Chat):
            assert p.chat_notice(request.name, request.text) not in to_sender
        assert len(out) <= len(members_before | {m.addr for m in room.members()}) + 1
        out += room.expire(now)   # the sweep: at most one leave notice per member for each member dropped
        assert len(out) <= (len(members_before) + 1) ** 2
        assert all(len(d) < 1400 for _, d in out)
        # The indexes agree, and the limits hold.
        assert len(room.by_name) == len(room.by_addr) <= max_members
        assert all(room.by_addr[m.addr] is m for m in room.by_name.values())
        hosts = Counter(a[0] for a in room.by_addr)
        assert hosts == +room.per_host
        assert not max_per_host or all(count <= max_per_host for count in hosts.values())


def _parsed(data: bytes) -> p.Request | None:
    try:
        return p.parse_request(data)
    except p.ProtocolError:
        return None
