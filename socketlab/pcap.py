"""Just enough of the pcap format to see TCP's handshake and close (pure, stdlib).

`socketlab capture` streams tcpdump's pcap into a file; this reads it back on
the host, while it grows, to tell the user what was caught ("SYN, SYN-ACK,
ACK ... FIN, FIN, ACK": notes 1.3.1) and to let tests wait for a condition
instead of sleeping. Anything that is not IPv4 + TCP is counted and skipped;
a record cut off at the end of a growing file is simply not read yet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

LINK_HEADERS = {1: 14, 101: 0, 12: 0, 113: 16, 276: 20}
"""Link-layer header length per pcap link type: Ethernet, raw IP, Linux cooked v1 and v2."""
MAGIC = {0xA1B2C3D4: 1e-6, 0xA1B23C4D: 1e-9}
FLAG_LETTERS = ((0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x10, "."))


@dataclass(frozen=True)
class TcpPacket:
    time: float
    src: str
    sport: int
    dst: str
    dport: int
    flags: int
    payload: int  # bytes of TCP payload

    @property
    def flag_text(self) -> str:
        """tcpdump's notation: ``S`` SYN, ``S.`` SYN-ACK, ``F.`` FIN-ACK, ``P.`` data, ``.`` ACK."""
        return "".join(letter for bit, letter in FLAG_LETTERS if self.flags & bit) or "none"

    @property
    def syn(self) -> bool:
        return bool(self.flags & 0x02) and not self.flags & 0x10

    @property
    def syn_ack(self) -> bool:
        return bool(self.flags & 0x02) and bool(self.flags & 0x10)

    @property
    def fin(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def rst(self) -> bool:
        return bool(self.flags & 0x04)

    def __str__(self) -> str:
        return f"{self.src}:{self.sport} > {self.dst}:{self.dport} [{self.flag_text}] len {self.payload}"


@dataclass(frozen=True)
class Capture:
    link_type: int
    packets: int  # every complete record, TCP or not
    tcp: list[TcpPacket]


def _header(data: bytes) -> tuple[str, float, int]:
    if len(data) < 24:
        raise ValueError("not a pcap file yet: shorter than its 24-byte header")
    for endian in "<>":
        magic = struct.unpack(endian + "I", data[:4])[0]
        if magic in MAGIC:
            link_type = struct.unpack(endian + "I", data[20:24])[0]
            return endian, MAGIC[magic], link_type
    raise ValueError(f"not a pcap file (magic {data[:4].hex()})")


def _tcp(frame: bytes, link_type: int, when: float) -> TcpPacket | None:
    offset = LINK_HEADERS.get(link_type)
    if offset is None:
        return None
    if link_type == 1 and frame[12:14] != b"\x08\x00":
        return None
    if link_type == 113 and frame[14:16] != b"\x08\x00":
        return None
    if link_type == 276 and frame[0:2] != b"\x08\x00":
        return None
    ip = frame[offset:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    ihl = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:]
    if len(tcp) < 20:
        return None
    sport, dport = struct.unpack("!HH", tcp[:4])
    data_offset = (tcp[12] >> 4) * 4
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    return TcpPacket(when, src, sport, dst, dport, tcp[13], max(0, total - ihl - data_offset))


def read_capture(data: bytes) -> Capture:
    """Every complete record of a (possibly still growing) pcap byte string."""
    endian, unit, link_type = _header(data)
    record = struct.Struct(endian + "IIII")
    pos, count, tcp = 24, 0, []
    while pos + record.size <= len(data):
        seconds, fraction, caplen, _origlen = record.unpack_from(data, pos)
        end = pos + record.size + caplen
        if end > len(data):
            break  # the rest is still being written
        count += 1
        packet = _tcp(data[pos + record.size:end], link_type, seconds + fraction * unit)
        if packet is not None:
            tcp.append(packet)
        pos = end
    return Capture(link_type, count, tcp)


def connection_story(packets: list[TcpPacket]) -> dict[str, int]:
    """How many handshake and close segments were seen: the notes' 三次握手 / 四次挥手."""
    return {"SYN": sum(p.syn for p in packets), "SYN-ACK": sum(p.syn_ack for p in packets),
            "FIN": sum(p.fin for p in packets), "RST": sum(p.rst for p in packets),
            "data": sum(p.payload > 0 for p in packets)}


def closed_both_ways(packets: list[TcpPacket]) -> bool:
    """True once some connection has sent a FIN in each direction (the four-way close)."""
    fins = {((p.src, p.sport), (p.dst, p.dport)) for p in packets if p.fin}
    return any((dst, src) in fins for src, dst in fins)
