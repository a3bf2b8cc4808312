"""The chat room's wire format: one UTF-8 text datagram per request, reply or notice.

Requests keep the notes' shapes, plus a heartbeat the notes lack::

    L name          log in (enter the room)
    C name text     chat: `text` goes to every other member
    Q name          quit (leave the room)
    H [name]        heartbeat: keeps a member alive; without a name a plain ping

Replies go to the sender only and start with a keyword; notices go to the
other members and are the notes' human-readable lines::

    OK [timeout=S]  login accepted (S: seconds of silence before the server drops you)
                    or quit accepted (plain OK)
    Fail reason     login refused (name taken, invalid name, address already in)
    ERR reason      any other refused request (malformed, spoofed, not logged in, ...)
    PONG            answer to H

    alice 进入了聊天室              alice joined
    alice : hello                  alice said hello
    alice 退出了聊天室              alice left (`... (timeout)` if she vanished)
    管理员消息: text                the administrator's announcement

The reply keywords are reserved as names, and so is every name starting with
管理员 ("administrator"), so a client can tell a reply from a notice and no
member can pose as the administrator.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_NAME_CHARS = 32
"""Longest name, in characters (a Chinese character counts as one)."""

MAX_TEXT_BYTES = 1000
"""Longest chat or announcement text, in UTF-8 bytes. With the longest name a
request or notice stays below 1200 bytes: one datagram, never IP-fragmented on
an ordinary 1500-byte MTU (a lost fragment loses the whole datagram)."""

MAX_NAME_BYTES = 4 * MAX_NAME_CHARS
MAX_REQUEST_BYTES = len("C ") + MAX_NAME_BYTES + len(" ") + MAX_TEXT_BYTES
"""Largest valid request; anything longer is refused as oversized."""

RECV_BUFFER = 4096
"""recvfrom buffer: bigger than any valid request, so truncation only hits datagrams that are refused anyway."""

REPLY_KEYWORDS = ("OK", "Fail", "ERR", "PONG")
ADMIN_PREFIX = "管理员消息: "
RESERVED_NAME_PREFIX = "管理员"

JOIN_SUFFIX = " 进入了聊天室"
LEAVE_SUFFIX = " 退出了聊天室"
CHAT_SEPARATOR = " : "


class ProtocolError(ValueError):
    """A datagram or field the protocol refuses; the message is sent back after ``ERR``."""


@dataclass(frozen=True)
class Login:
    name: str


@dataclass(frozen=True)
class Chat:
    name: str
    text: str


@dataclass(frozen=True)
class Quit:
    name: str


@dataclass(frozen=True)
class Heartbeat:
    name: str | None  # None: a plain ping (health probes), no membership involved


Request = Login | Chat | Quit | Heartbeat


def check_name(name: str) -> str:
    """Return `name` in NFC form, or raise ProtocolError saying what is wrong with it.

    NFC makes two spellings of one visible name (composed or decomposed
    accents) the same name, so they cannot coexist as lookalikes.
    """
    name = unicodedata.normalize("NFC", name)
    if not name:
        raise ProtocolError("empty name")
    if len(name) > MAX_NAME_CHARS:
        raise ProtocolError(f"name longer than {MAX_NAME_CHARS} characters")
    for char in name:
        category = unicodedata.category(char)
        if char.isspace() or category[0] in "CZ":
            raise ProtocolError(f"name contains a space or control character (U+{ord(char):04X})")
    if name in REPLY_KEYWORDS or name.startswith(RESERVED_NAME_PREFIX):
        raise ProtocolError(f"name {name!r} is reserved")
    return name


def check_text(text: str) -> str:
    """Return `text` if it may be relayed; raise ProtocolError otherwise.

    Control characters are refused: a newline would let a member print a
    fake second line (say, a forged 管理员消息) on everyone's screen.
    """
    if not text:
        raise ProtocolError("empty message")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise ProtocolError(f"message longer than {MAX_TEXT_BYTES} bytes")
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise ProtocolError(f"message contains a control character (U+{ord(char):04X})")
    return text


def parse_request(payload: bytes) -> Request:
    """Decode one datagram into a request, or raise ProtocolError."""
    if not payload:
        raise ProtocolError("empty datagram")
    if len(payload) > MAX_REQUEST_BYTES:
        raise ProtocolError(f"datagram too large (max {MAX_REQUEST_BYTES} bytes; "
                            f"a message holds at most {MAX_TEXT_BYTES} bytes)")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("datagram is not valid UTF-8") from None
    kind, _, rest = text.partition(" ")
    if kind == "L":
        return Login(check_name(rest))
    if kind == "Q":
        return Quit(check_name(rest))
    if kind == "H":
        return Heartbeat(check_name(rest) if rest else None)
    if kind == "C":
        name, sep, message = rest.partition(" ")
        if not sep:
            raise ProtocolError("chat request needs a name and a message: C name text")
        return Chat(check_name(name), check_text(message))
    raise ProtocolError(f"unknown request {kind[:16]!r}: expected L, C, Q or H")


def is_reply(payload: bytes) -> bool:
    """True if `payload` looks like a server reply; such datagrams are never answered (no reply loops)."""
    head = payload[:8].split(b" ", 1)[0]
    return head.decode("utf-8", "replace") in REPLY_KEYWORDS


def encode_request(request: Request) -> bytes:
    """The datagram for `request` (clients use this)."""
    match request:
        case Login(name):
            return f"L {name}".encode()
        case Chat(name, text):
            return f"C {name} {text}".encode()
        case Quit(name):
            return f"Q {name}".encode()
        case Heartbeat(name):
            return f"H {name}".encode() if name else b"H"
    raise TypeError(f"not a request: {request!r}")


def ok_login(timeout: float) -> bytes:
    return f"OK timeout={timeout:g}".encode()


OK = b"OK"
PONG = b"PONG"


def fail(reason: str) -> bytes:
    return f"Fail {reason}".encode()


def error(reason: str) -> bytes:
    return f"ERR {reason}".encode()


def join_notice(name: str) -> bytes:
    return f"{name}{JOIN_SUFFIX}".encode()


def leave_notice(name: str, timed_out: bool = False) -> bytes:
    return f"{name}{LEAVE_SUFFIX}{' (timeout)' if timed_out else ''}".encode()


def chat_notice(name: str, text: str) -> bytes:
    return f"{name}{CHAT_SEPARATOR}{text}".encode()


def admin_notice(text: str) -> bytes:
    return f"{ADMIN_PREFIX}{text}".encode()


@dataclass(frozen=True)
class Reply:
    """A reply to this client: `keyword` is one of REPLY_KEYWORDS, `detail` the rest."""

    keyword: str
    detail: str = ""


@dataclass(frozen=True)
class Notice:
    """A line for the user's screen (join, leave, chat or announcement)."""

    text: str


def parse_server_datagram(payload: bytes) -> Reply | Notice:
    """Tell a reply from a notice (clients use this): replies start with a reserved keyword."""
    text = payload.decode("utf-8", "replace")
    keyword, _, detail = text.partition(" ")
    if keyword in REPLY_KEYWORDS:
        return Reply(keyword, detail)
    return Notice(text)


def login_timeout(reply: Reply) -> float | None:
    """The server's liveness timeout announced in ``OK timeout=S``, if any."""
    for field in reply.detail.split():
        key, _, value = field.partition("=")
        if key == "timeout":
            try:
                return float(value)
            except ValueError:
                return None
    return None
