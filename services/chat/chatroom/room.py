"""The chat room as a state machine: datagrams and clock ticks in, datagrams out.

No socket here (the h11 lesson in datagram form): `handle(addr, payload, now)`
returns the ``(address, bytes)`` pairs to send, so the unit tests drive every
rule — join, duplicate, chat, quit, timeout, spoofing, bad input — without a
network, and the server loop only moves bytes.

What the notes' server trusted and this one does not:

* **the name in the text.** A peer is only its source address (DESIGN.md), so
  the room maps address -> member and a ``C``/``Q`` naming someone else is
  refused and logged. One address holds at most one name.
* **the client's goodbye.** A client killed without ``Q`` would stay forever;
  members that stay silent longer than `timeout` are dropped by `expire` and the
  others are told. Clients send ``H`` heartbeats to stay in while idle.
* **the input.** Malformed, oversized, non-UTF-8 or unknown datagrams get an
  ``ERR`` reply instead of crashing the loop (the notes' ``split`` raised).
* **each member's restraint.** Every chat line costs the room one ``sendto``
  per other member, so one member's storm would cost everyone. Each member
  has a token bucket (`rate` lines a second, bursts of `burst`); lines beyond
  it are dropped and counted, and the sender is told once per storm
  (``ERR slow down ...``), never once per dropped line.
* **one host's appetite.** One address with hundreds of source ports could
  take every seat; at most `max_per_host` members share one IP address.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from socketlab_common.wire import chat as p

Addr = tuple[str, int]
Outgoing = list[tuple[Addr, bytes]]

DEFAULT_TIMEOUT = 30.0
"""Seconds of silence after which a member is dropped; clients heartbeat every third of it."""

DEFAULT_MAX_MEMBERS = 256
"""Bounds the fan-out of one datagram (each chat line costs one sendto per member)."""

DEFAULT_MAX_PER_HOST = 16
"""Members that may share one IP address (several clients on one host, but not the whole room)."""

DEFAULT_RATE = 10.0
"""Chat lines a second one member may keep up (0: no limit); faster than anyone types."""

DEFAULT_BURST = 40.0
"""Lines one member may send at once before the rate applies (a paste of a few lines)."""

log = logging.getLogger("chat.room")


@dataclass
class Member:
    name: str
    addr: Addr
    last_seen: float
    tokens: float = 0.0       # chat lines this member may still send right now
    refilled: float = 0.0     # when `tokens` was last topped up
    told_to_slow: bool = False  # the current storm was already answered with ERR


@dataclass
class Room:
    timeout: float = DEFAULT_TIMEOUT
    max_members: int = DEFAULT_MAX_MEMBERS
    max_per_host: int = DEFAULT_MAX_PER_HOST
    rate: float = DEFAULT_RATE
    burst: float = DEFAULT_BURST
    by_name: dict[str, Member] = field(default_factory=dict)
    by_addr: dict[Addr, Member] = field(default_factory=dict)
    per_host: Counter = field(default_factory=Counter)
    stats: Counter = field(default_factory=Counter)
    """received, joins, leaves, timeouts, chats, announcements, rejected, spoofed, ignored, notices, throttled."""

    # -- input ---------------------------------------------------------------

    def handle(self, addr: Addr, payload: bytes, now: float) -> Outgoing:
        """Process one datagram from `addr` at monotonic time `now`."""
        self.stats["received"] += 1
        if p.is_reply(payload):
            # A reply keyword is never a request: answering it could start a loop between two servers.
            self.stats["ignored"] += 1
            return []
        try:
            request = p.parse_request(payload)
        except p.ProtocolError as exc:
            return self._reject(addr, str(exc))
        member = self.by_addr.get(addr)
        if member is not None:
            member.last_seen = now  # any valid datagram from a member proves it is alive
        match request:
            case p.Login(name):
                return self._login(addr, name, member, now)
            case p.Chat(name, text):
                member = self._authenticate(addr, name, member, "C")
                if member is None:
                    return self._reject(addr, self._who_error(addr, name))
                if not self._may_speak(member, now):
                    return self._slow_down(addr, member)
                self.stats["chats"] += 1
                return self._to_others(member, p.chat_notice(name, text))
            case p.Quit(name):
                member = self._authenticate(addr, name, member, "Q")
                if member is None:
                    return self._reject(addr, self._who_error(addr, name))
                self._remove(member)
                self.stats["leaves"] += 1
                log.info("leave: %s from %s:%d (%d members)", name, *addr, len(self.by_name))
                return [(addr, p.OK), *self._to_others(member, p.leave_notice(name))]
            case p.Heartbeat(None):
                return [(addr, p.PONG)]
            case p.Heartbeat(name):
                if member is None or member.name != name:
                    # Not spoofing (a heartbeat relays nothing): most likely the server dropped or forgot us.
                    return self._reject(addr, f"not logged in as {name}", log_it=False)
                return [(addr, p.PONG)]
        raise AssertionError(f"unhandled request {request!r}")  # pragma: no cover

    def expire(self, now: float) -> Outgoing:
        """Drop members silent for longer than `timeout`; tell the others they left."""
        out: Outgoing = []
        for member in [m for m in self.by_name.values() if now - m.last_seen > self.timeout]:
            self._remove(member)
            self.stats["timeouts"] += 1
            log.info("timeout: %s at %s:%d silent for %.1fs (%d members)", member.name, *member.addr,
                     now - member.last_seen, len(self.by_name))
            out += self._to_others(member, p.leave_notice(member.name, timed_out=True))
        return out

    def announce(self, text: str) -> Outgoing:
        """The administrator's announcement to every member; raises ProtocolError for bad text."""
        notice = p.admin_notice(p.check_text(text))
        self.stats["announcements"] += 1
        log.info("announcement to %d members: %s", len(self.by_name), text)
        out = [(m.addr, notice) for m in self.by_name.values()]
        self.stats["notices"] += len(out)
        return out

    def members(self) -> list[Member]:
        return list(self.by_name.values())

    # -- rules -----------------------------------------------------------------

    def _login(self, addr: Addr, name: str, member: Member | None, now: float) -> Outgoing:
        if member is not None:
            if member.name == name:
                return [(addr, p.ok_login(self.timeout))]  # a retransmitted L whose OK was lost
            return self._refuse(addr, f"this address is already in the room as {member.name}")
        if name in self.by_name:
            return self._refuse(addr, f"name taken: {name} 该用户已存在")
        if len(self.by_name) >= self.max_members:
            return self._refuse(addr, f"room is full ({self.max_members} members)")
        if self.max_per_host and self.per_host[addr[0]] >= self.max_per_host:
            return self._refuse(addr, f"too many members from {addr[0]} ({self.max_per_host})")
        member = Member(name, addr, now, tokens=self.burst, refilled=now)
        self.by_name[name] = member
        self.by_addr[addr] = member
        self.per_host[addr[0]] += 1
        self.stats["joins"] += 1
        log.info("join: %s from %s:%d (%d members)", name, *addr, len(self.by_name))
        return [(addr, p.ok_login(self.timeout)), *self._to_others(member, p.join_notice(name))]

    def _authenticate(self, addr: Addr, name: str, member: Member | None, kind: str) -> Member | None:
        """The member at `addr` if it is `name`; otherwise None, logging an impersonation attempt."""
        if member is not None and member.name == name:
            return member
        owner = self.by_name.get(name)
        if owner is not None:
            self.stats["spoofed"] += 1
            log.warning("spoof: %s request from %s:%d names %s, who is at %s:%d", kind, *addr, name, *owner.addr)
        return None

    def _who_error(self, addr: Addr, name: str) -> str:
        member = self.by_addr.get(addr)
        if member is None:
            return "not logged in: send L name first"
        return f"you are {member.name}, not {name}"

    def _to_others(self, sender: Member, notice: bytes) -> Outgoing:
        out = [(m.addr, notice) for m in self.by_name.values() if m is not sender]
        self.stats["notices"] += len(out)
        return out

    def _remove(self, member: Member) -> None:
        del self.by_name[member.name]
        del self.by_addr[member.addr]
        self.per_host[member.addr[0]] -= 1
        if self.per_host[member.addr[0]] <= 0:
            del self.per_host[member.addr[0]]

    def _may_speak(self, member: Member, now: float) -> bool:
        """Take a token from the member's bucket (refilled at `rate` a second, up to `burst`)."""
        if self.rate <= 0:
            return True
        member.tokens = min(self.burst, member.tokens + (now - member.refilled) * self.rate)
        member.refilled = now
        if member.tokens >= self.burst / 2:
            member.told_to_slow = False  # calm again: a new storm will be told again
        if member.tokens < 1:
            return False
        member.tokens -= 1
        return True

    def _slow_down(self, addr: Addr, member: Member) -> Outgoing:
        """A line over the member's rate: dropped, and the sender told once per storm."""
        self.stats["throttled"] += 1
        if member.told_to_slow:
            return []
        member.told_to_slow = True
        log.info("throttled: %s at %s:%d sends faster than %g lines/s", member.name, *addr, self.rate)
        return [(addr, p.error(f"slow down: at most {self.rate:g} lines a second, {self.burst:g} at once"))]

    def _refuse(self, addr: Addr, reason: str) -> Outgoing:
        self.stats["refused"] += 1
        log.info("login refused for %s:%d: %s", *addr, reason)
        return [(addr, p.fail(reason))]

    def _reject(self, addr: Addr, reason: str, log_it: bool = True) -> Outgoing:
        self.stats["rejected"] += 1
        if log_it:
            log.info("rejected datagram from %s:%d: %s", *addr, reason)
        return [(addr, p.error(reason))]
