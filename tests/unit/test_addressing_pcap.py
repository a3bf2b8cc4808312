"""Reading tcpdump's pcap back: link types, TCP flags, a file still being written."""

from __future__ import annotations

import socket
import struct

import pytest

from socketlab.pcap import closed_both_ways, connection_story, read_capture

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
CLIENT, SERVER = ("10.77.1.50", 40000), ("10.77.1.15", 8888)


def ipv4_tcp(src: tuple[str, int], dst: tuple[str, int], flags: int, payload: bytes = b"") -> bytes:
    tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], 0, 0, 5 << 4, flags, 65535, 0, 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                         socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    return header + tcp


def link(frame: bytes, link_type: int) -> bytes:
    if link_type == 1:
        return b"\x00" * 12 + b"\x08\x00" + frame
    if link_type == 113:
        return b"\x00" * 14 + b"\x08\x00" + frame
    if link_type == 276:
        return b"\x08\x00" + b"\x00" * 18 + frame
    return frame


def pcap(frames: list[bytes], link_type: int, endian: str = "<", nanos: bool = False) -> bytes:
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 262144, link_type)
    for i, frame in enumerate(frames):
        data = link(frame, link_type)
        out += struct.pack(endian + "IIII", 1000 + i, 500, len(data), len(data)) + data
    return out


CONVERSATION = [
    ipv4_tcp(CLIENT, SERVER, SYN), ipv4_tcp(SERVER, CLIENT, SYN | ACK), ipv4_tcp(CLIENT, SERVER, ACK),
    ipv4_tcp(CLIENT, SERVER, PSH | ACK, b"hi\n"), ipv4_tcp(CLIENT, SERVER, FIN | ACK),
    ipv4_tcp(SERVER, CLIENT, PSH | ACK, b"hi\n"), ipv4_tcp(SERVER, CLIENT, FIN | ACK), ipv4_tcp(CLIENT, SERVER, ACK),
]


@pytest.mark.parametrize("link_type", [1, 101, 113, 276])
@pytest.mark.parametrize("endian", ["<", ">"])
def test_handshake_and_close_are_seen_on_every_link_type(link_type: int, endian: str) -> None:
    capture = read_capture(pcap(CONVERSATION, link_type, endian))
    assert capture.link_type == link_type and capture.packets == 8
    assert [p.flag_text for p in capture.tcp] == ["S", "S.", ".", "P.", "F.", "P.", "F.", "."]
    assert connection_story(capture.tcp) == {"SYN": 1, "SYN-ACK": 1, "FIN": 2, "RST": 0, "data": 2}
    assert closed_both_ways(capture.tcp)
    assert str(capture.tcp[3]) == "10.77.1.50:40000 > 10.77.1.15:8888 [P.] len 3"


def test_a_growing_file_is_read_up_to_its_last_complete_record() -> None:
    data = pcap(CONVERSATION, 276)
    seen = [len(read_capture(data[:cut]).tcp) for cut in range(24, len(data) + 1)]
    assert seen == sorted(seen) and seen[-1] == 8  # never a torn record, never going backwards
    assert not closed_both_ways(read_capture(data[: len(data) - 80]).tcp)


def test_half_closed_is_not_closed_both_ways_and_nanosecond_files_read() -> None:
    capture = read_capture(pcap(CONVERSATION[:5], 1, nanos=True))
    assert not closed_both_ways(capture.tcp)
    assert capture.tcp[0].time == pytest.approx(1000.0000005)


def test_non_tcp_is_counted_but_skipped_and_junk_is_refused() -> None:
    udp = bytearray(ipv4_tcp(CLIENT, SERVER, 0))
    udp[9] = 17
    capture = read_capture(pcap([bytes(udp), CONVERSATION[0]], 276))
    assert capture.packets == 2 and len(capture.tcp) == 1
    with pytest.raises(ValueError, match="not a pcap"):
        read_capture(b"x" * 40)
    with pytest.raises(ValueError, match="shorter"):
        read_capture(b"")
