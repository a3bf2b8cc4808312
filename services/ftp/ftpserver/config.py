"""Server settings from the environment (12-factor), with a users file option.

    FTP_ROOT=/srv/ftp             the file library
    FTP_PORT=21                   control port (inside the container)
    FTP_PASV_PORTS=18100-18227    passive range (the pool: one port per client between PASV
                                  and its data connection); published with the same numbers outside
    FTP_PASV_ADDRESS_HOST=...     address advertised by PASV to clients that come through
                                  the published host port (their peer is the docker gateway,
                                  or an address on none of this host's networks: another machine)
    FTP_ANONYMOUS=1               anonymous (and "ftp") may log in, read only ...
    FTP_ANON_UPLOAD=0             ... unless this allows STOR/MKD for them
    FTP_READ_ONLY=0               refuse every write, for every user
    FTP_USERS=alice:pw,bob:pw     named users (password after the first colon)
    FTP_USERS_FILE=/path          more users, one ``name:password`` a line, # comments
    FTP_IDLE_TIMEOUT=300          seconds a control connection may stay silent
    FTP_DATA_TIMEOUT=30           seconds to wait for a data connection / data progress
    FTP_MAX_CONNECTIONS=512       control connections in total ...
    FTP_MAX_PER_IP=128            ... and from one client address
    FTP_LOGIN_DELAY=1             seconds before a failed login is answered; an address's
                                  failures are answered one after another (0: no delay)
    FTP_MAX_LOGIN_ATTEMPTS=3      failed logins per connection before 421 and close
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

ANONYMOUS_NAMES = frozenset({"anonymous", "ftp"})


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "yes", "true", "on")


def parse_port_range(text: str) -> range:
    first, _, last = text.partition("-")
    low, high = int(first), int(last or first)
    if not 1 <= low <= high <= 65535:
        raise ValueError(f"bad port range {text!r}")
    return range(low, high + 1)


def parse_users(text: str) -> dict[str, str]:
    """``name:password`` items separated by commas or newlines; ``#`` starts a comment line."""
    users = {}
    for item in text.replace(",", "\n").splitlines():
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        name, sep, password = item.partition(":")
        if not sep or not name:
            raise ValueError(f"bad user entry {name!r}: expected name:password")
        users[name] = password
    return users


@dataclass(frozen=True)
class FtpConfig:
    root: str = "/srv/ftp"
    host: str = "0.0.0.0"
    port: int = 21
    pasv_ports: range = range(18100, 18228)
    pasv_address_host: str = ""
    anonymous: bool = True
    anon_upload: bool = False
    read_only: bool = False
    users: Mapping[str, str] = field(default_factory=dict)
    idle_timeout: float = 300.0
    data_timeout: float = 30.0
    max_connections: int = 512
    max_per_ip: int = 128
    login_delay: float = 1.0
    max_login_attempts: int = 3
    banner: str = "socketlab FTP server ready (thread per connection)"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FtpConfig:
        users = parse_users(env.get("FTP_USERS", ""))
        users_file = env.get("FTP_USERS_FILE")
        if users_file:
            with open(users_file, encoding="utf-8") as handle:
                users.update(parse_users(handle.read()))
        return cls(
            root=env.get("FTP_ROOT", cls.root),
            host=env.get("FTP_HOST", cls.host),
            port=int(env.get("FTP_PORT", cls.port)),
            pasv_ports=parse_port_range(env.get("FTP_PASV_PORTS", "18100-18227")),
            pasv_address_host=env.get("FTP_PASV_ADDRESS_HOST", ""),
            anonymous=_flag(env.get("FTP_ANONYMOUS"), True),
            anon_upload=_flag(env.get("FTP_ANON_UPLOAD"), False),
            read_only=_flag(env.get("FTP_READ_ONLY"), False),
            users=users,
            idle_timeout=float(env.get("FTP_IDLE_TIMEOUT", cls.idle_timeout)),
            data_timeout=float(env.get("FTP_DATA_TIMEOUT", cls.data_timeout)),
            max_connections=int(env.get("FTP_MAX_CONNECTIONS", cls.max_connections)),
            max_per_ip=int(env.get("FTP_MAX_PER_IP", cls.max_per_ip)),
            login_delay=float(env.get("FTP_LOGIN_DELAY", cls.login_delay)),
            max_login_attempts=max(1, int(env.get("FTP_MAX_LOGIN_ATTEMPTS", cls.max_login_attempts))),
        )
