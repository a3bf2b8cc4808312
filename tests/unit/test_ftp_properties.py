"""Property-based fuzzing of the FTP command parser, session and jail (profiles: tests/hypothesis_profiles.py).

Inputs: command lines built from the server's own command table with random
arguments (path-like words with ``..``, ``/``, NUL, Telnet IAC, UTF-8 and
undecodable bytes), the same lines with random mutations, and plain random
bytes; each delivered whole and cut at random places. The properties:

* the line reader and command parser raise nothing, and any cut gives the
  same lines as whole; the reader's buffer stays bounded, its lines never
  outnumber or outweigh the input;
* the session raises nothing, answers every line with well-formed replies
  (at most a few per line), the same bytes whole or cut anywhere;
* no path outside the library, ever: every path the jail returns, and every
  file a transfer names, resolves inside the root, symlinks included.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from ftpserver.config import FtpConfig
from ftpserver.jail import Jail, JailError
from ftpserver.session import COMMANDS, FtpSession, Transfer, TransferResult
from ftpserver.wire import MAX_LINE, OVERLONG, LineReader, parse_command
from hypothesis import given
from hypothesis import strategies as st

from .feeding import split_at

# -- strategies ------------------------------------------------------------------------------

WORDS = ["", ".", "..", "...", "/", "//", "pub", "a.txt", "pub/a.txt", "empty", "link-out", "link-in", "../..",
         "/../etc/passwd", "etc", "passwd", ".ftp-upload-x", "文件.txt", "a b", "~", "*", "-la", "\\..\\"]
path_parts = st.sampled_from(WORDS) | st.text(max_size=6)
paths = st.lists(path_parts, max_size=5).map("/".join) | st.builds(lambda p: "/" + p, st.lists(path_parts, max_size=4)
                                                                    .map("/".join))
arguments = st.one_of(paths, st.sampled_from(["ALL", "1", "2", "A", "I", "L 8", "S", "F", "UTF8 ON", "100",
                                               "10,0,0,7,4,1", "|1|10.0.0.7|2000|", "|2|::1|5|", "-1"]),
                      st.integers(0, 1 << 40).map(str), st.text(max_size=20))
verbs = st.sampled_from(sorted(COMMANDS)) | st.sampled_from(["XYZZY", "", "retr", "Stor", "\xff\xf4ABOR"])


@st.composite
def command_lines(draw) -> bytes:
    verb, arg = draw(verbs), draw(arguments)
    line = f"{verb} {arg}".rstrip(" ") if arg else verb
    return line.encode("utf-8", "surrogateescape")


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, delete-count, insert) edits: bytes deleted, inserted or replaced."""
    out = bytearray(data)
    for position, delete, insert in edits:
        at = position % (len(out) + 1)
        out[at:at + delete] = insert
    return bytes(out)


edits = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 4),
                           st.sampled_from([b"", b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xff\xf4", b"..", b"/",
                                            b" ", b"\xc3", b"\x80"]) | st.binary(max_size=4)), max_size=6)


@st.composite
def scripts(draw) -> bytes:
    """A control-connection stream: a login, then command lines (some mutated) or raw bytes."""
    lines = [b"USER alice", b"PASS s3cret"] if draw(st.booleans()) else []
    lines += draw(st.lists(command_lines(), max_size=12))
    data = b"".join(line + draw(st.sampled_from([b"\r\n", b"\n"])) for line in lines)
    if draw(st.booleans()):
        data = mutate(data, draw(edits))
    if draw(st.integers(0, 4)) == 0:
        data += draw(st.binary(max_size=200))
    return data


cuts = st.lists(st.integers(0, 5000), max_size=12)

# -- the line reader and the parser ----------------------------------------------------------


@given(data=scripts() | st.binary(max_size=6000), where=cuts)
def test_any_cut_gives_the_same_lines_and_the_reader_stays_bounded(data: bytes, where: list[int]) -> None:
    whole = LineReader().feed(data)
    reader, pieces = LineReader(), []
    for piece in split_at(data, where):
        pieces += reader.feed(piece)
        assert reader.pending <= MAX_LINE + 1
    assert pieces == whole
    lines = [line for line in whole if line is not OVERLONG]
    assert len(whole) <= data.count(b"\n")
    assert sum(len(line) for line in lines) <= len(data)
    for line in lines:
        assert isinstance(line, bytes) and b"\n" not in line and len(line) <= MAX_LINE + 1
        command = parse_command(line)   # raises nothing
        assert command.verb == command.verb.upper()


# -- the session -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> Iterator[Path]:
    """A small library with a link out of it and one that stays in; the session may not change it."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        (root / "pub").mkdir(parents=True)
        (root / "pub" / "a.txt").write_bytes(b"hello\nworld\n")
        (root / "empty").mkdir()
        (Path(tmp) / "secret").write_text("outside")
        os.symlink(Path(tmp) / "secret", root / "link-out")
        os.symlink(root / "pub", root / "link-in")
        yield root


CONFIG = FtpConfig(users={"alice": "s3cret"}, read_only=True, login_delay=1.0, max_login_attempts=3)


def run(library: Path, pieces: list[bytes]) -> tuple[bytes, list[Transfer], FtpSession]:
    """Feed the pieces; complete every transfer (alternately ok and aborted) and pause; return all output."""
    session = FtpSession(replace(CONFIG, root=str(library)), Jail(library), ("10.0.0.7", 5000), "10.0.0.2",
                         _Passive(), clock=lambda: 0.0)
    out = bytearray(session.outgoing())
    transfers: list[Transfer] = []
    for piece in pieces:
        if session.closing:
            break
        session.receive(piece)
        while True:
            while session.pause() is not None:
                session.resume()
            out += session.outgoing()
            transfer = session.take_transfer()
            if transfer is None:
                break
            transfers.append(transfer)
            ok = len(transfers) % 2 == 1
            session.transfer_done(TransferResult(ok, 0, 0.0, "" if ok else "aborted"))
    return bytes(out), transfers, session


class _Passive:
    def open(self) -> int:
        return 40001

    def close(self) -> None:
        pass


def replies(out: bytes) -> list[bytes]:
    """The final lines of each reply (continuation lines of multi-line replies left out)."""
    return [line for line in out.split(b"\r\n") if line[:3].isdigit() and line[3:4] == b" "]


@given(data=scripts(), where=cuts)
def test_the_session_answers_every_line_the_same_whole_or_cut(library: Path, data: bytes, where: list[int]) -> None:
    before = sorted(str(p) for p in library.rglob("*"))
    whole, transfers, _ = run(library, [data])
    cut, _, _ = run(library, split_at(data, where))
    assert cut == whole
    assert whole.endswith(b"\r\n")
    for line in whole.split(b"\r\n")[:-1]:
        assert (line[:3].isdigit() and line[3:4] in (b" ", b"-")) or line.startswith(b" ")
    lines = data.count(b"\n") + 1
    assert len(replies(whole)) <= 1 + 2 * lines + len(transfers)  # greeting, at most two per line, one per transfer
    assert len(whole) <= 2048 + lines * 4096
    root = library.resolve()
    for transfer in transfers:
        if transfer.path is not None:
            assert transfer.path.resolve().is_relative_to(root)
    assert sorted(str(p) for p in library.rglob("*")) == before   # read-only: nothing changed


# -- the jail ----------------------------------------------------------------------------------


@given(cwd=paths, name=paths | st.text(max_size=30))
def test_no_path_outside_the_library_ever(library: Path, cwd: str, name: str) -> None:
    jail = Jail(library)
    try:
        cwd = jail.virtual("/", cwd)   # a session's directory is always one the jail produced (CWD)
        vpath, real = jail.resolve(cwd, name)
    except JailError:
        return
    assert vpath.startswith("/") and ".." not in vpath.split("/")
    assert real.resolve().is_relative_to(jail.root)
    assert jail.virtual("/", vpath) == vpath   # normal form: resolving it again changes nothing
