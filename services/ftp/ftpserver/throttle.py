"""Failed logins cost time, per connection and per client address.

A wrong password is answered only after a delay (vsftpd's delay_failed_login,
pyftpdlib's auth_failed_timeout), so a script cannot try passwords at line
rate on one connection. Opening many connections at once must not buy it back:
the failures of one address are answered one after another, each `delay`
after the previous one, whatever connection they came on. A login from an
address with failures still waiting is itself answered only at its turn (right
or wrong: an early 230 would tell the guesser which of its parallel tries was
right). Other addresses are never slowed down.

The wait is the connection thread's own sleep (the driver's, see
`FtpSession.pause`); this object only does arithmetic under a short lock, so a
throttled address never holds up anyone else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_QUEUED = 16
"""Failed attempts of one address that may wait for their turn; more are refused at once with 421."""

PRUNE_AT = 4096
"""Addresses remembered before the ones whose penalty has passed are forgotten."""


class LoginThrottle:
    """When each login attempt of an address may be answered, shared by every session of a server."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.delay = delay
        self.clock = clock
        self._gate: dict[str, float] = {}   # address -> when its next attempt may be answered
        self._lock = threading.Lock()

    def turn(self, ip: str) -> float | None:
        """When an attempt from `ip` arriving now may be answered; None if too many are already waiting.

        An address with no failures waiting gets "now". Otherwise the attempt
        takes the next slot and reserves the one after it, as if it failed too.
        """
        with self._lock:
            now = self.clock()
            gate = self._gate.get(ip, 0.0)
            if gate <= now:
                return now
            if gate - now > self.delay * MAX_QUEUED:
                return None
            self._gate[ip] = gate + self.delay
            return gate

    def failed(self, ip: str, turn: float) -> float:
        """Record a failed attempt answered at `turn`; return when its 530 may be sent."""
        answer = turn + self.delay
        with self._lock:
            if len(self._gate) >= PRUNE_AT:
                now = self.clock()
                self._gate = {address: gate for address, gate in self._gate.items() if gate > now}
            self._gate[ip] = max(self._gate.get(ip, 0.0), answer)
        return answer
