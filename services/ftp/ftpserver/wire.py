"""FTP's control-connection framing: command lines in, reply bytes out.

Kept apart from any socket so it can be fed whole or one byte at a time. A
line longer than `MAX_LINE` is reported once as `OVERLONG` and the rest of it
is discarded as it arrives, so a client that never sends a newline costs at
most `MAX_LINE` bytes of memory.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LINE = 2048
"""Longest accepted command line in bytes, CRLF excluded (RFC 959 sets no limit; servers must)."""

OVERLONG = object()
"""Yielded by `LineReader.feed` in place of a line that exceeded `MAX_LINE`."""

IAC = 0xFF
"""Telnet "interpret as command": clients send IAC IP IAC DM before ABOR (RFC 959 4.1.3)."""


class LineReader:
    """Splits a byte stream into command lines (LF-terminated, CR optional)."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buffer = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | object]:
        """Return the complete lines in `data` (without CRLF) and `OVERLONG` markers."""
        lines: list[bytes | object] = []
        start = 0
        while start < len(data):
            end = data.find(b"\n", start)
            if end < 0:
                self._take(data[start:], lines)
                break
            self._take(data[start:end], lines)
            if self._discarding:
                self._discarding = False
            else:
                line = bytes(self._buffer)
                lines.append(line[:-1] if line.endswith(b"\r") else line)
            self._buffer.clear()
            start = end + 1
        return lines

    def _take(self, chunk: bytes, lines: list[bytes | object]) -> None:
        if self._discarding:
            return
        self._buffer += chunk
        # +1 leaves room for the CR of a CRLF that straddles the limit.
        if len(self._buffer) > self.max_line + 1:
            self._buffer.clear()
            self._discarding = True
            lines.append(OVERLONG)

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished line (bounded by `max_line`)."""
        return len(self._buffer)


def strip_telnet(line: bytes) -> bytes:
    """Drop Telnet IAC sequences (IAC IP, IAC DM...) and unescape IAC IAC."""
    if IAC not in line:
        return line
    out = bytearray()
    i = 0
    while i < len(line):
        byte = line[i]
        if byte == IAC and i + 1 < len(line):
            if line[i + 1] == IAC:
                out.append(IAC)
            i += 2
            continue
        if byte != IAC:
            out.append(byte)
        i += 1
    return bytes(out)


@dataclass(frozen=True)
class Command:
    verb: str
    """Upper-cased command name, e.g. ``RETR``."""
    arg: str
    """Everything after the first space, undecoded bytes kept via surrogateescape."""

    def __str__(self) -> str:
        return f"{self.verb} {self.arg}".rstrip()


def parse_command(line: bytes) -> Command:
    """Split a command line into verb and argument.

    The argument keeps inner and trailing spaces (file names may have them),
    and is decoded as UTF-8 (RFC 2640) with surrogateescape so any byte string
    the client sends maps back to the same file-system name.
    """
    text = strip_telnet(line).decode("utf-8", "surrogateescape")
    verb, _, arg = text.lstrip(" ").partition(" ")
    return Command(verb.upper(), arg)


def reply(code: int, text: str | list[str]) -> bytes:
    """Format a reply; a list of lines gives RFC 959's multi-line form.

    Multi-line: ``123-first``, continuation lines (indented by a space so none
    can be mistaken for the end), and ``123 last``.
    """
    lines = [text] if isinstance(text, str) else list(text)
    lines = [part for line in lines for part in line.replace("\r", "").split("\n")] or [""]
    if len(lines) == 1:
        return f"{code} {lines[0]}\r\n".encode("utf-8", "surrogateescape")
    body = [f"{code}-{lines[0]}"]
    body += [f" {line}" if line[:3].isdigit() or not line.startswith(" ") else line for line in lines[1:-1]]
    body.append(f"{code} {lines[-1]}")
    return ("\r\n".join(body) + "\r\n").encode("utf-8", "surrogateescape")


def quote_path(path: str) -> str:
    """RFC 959 appendix II: a quote inside a 257 path name is doubled."""
    return '"' + path.replace('"', '""') + '"'
