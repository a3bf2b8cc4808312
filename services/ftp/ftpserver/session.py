"""One FTP control connection as a sans-I/O state machine.

`FtpSession` follows the socketlab `Session` contract (receive / outgoing /
closing / deadline). Everything that needs a socket besides the control
connection is asked of the driver:

* PASV/EPSV call `passive.open()` (the driver binds a listener, returns its port);
* LIST, NLST, MLSD, RETR, STOR and APPE reply ``150`` and leave a `Transfer`
  in `take_transfer()`. While it is pending, further command lines are held
  (not lost); the driver runs it and calls `transfer_done(result)`, which
  sends the final reply (226/426/425/451) and goes on with held lines;
* a failed login asks for a `pause()`: the driver sleeps that long in its own
  thread before it sends the reply or reads on, then calls `resume()`.

Every command's rules live in one table, `COMMANDS` (as pyftpdlib's
``proto_cmds``): its handler, whether it needs a login, an argument, or the
right to write, and whether a pending REST survives it. `_dispatch` applies
the rules, so a handler only does its own work.

File-system calls (stat, mkdir, rename...) stay here: they are not network
I/O, and the unit tests run them against a temporary directory.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import stat
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from socketlab_common.probe import is_probe

from . import listing
from .config import ANONYMOUS_NAMES, FtpConfig
from .jail import Jail, JailError
from .throttle import LoginThrottle
from .wire import OVERLONG, Command, LineReader, parse_command, quote_path, reply

log = logging.getLogger("ftp.session")

FEATURES = ["EPRT", "EPSV", "MDTM", "MLST type*;size*;modify*;perm*;", "PASV", "REST STREAM", "SIZE",
            "TVFS", "UTF8"]

ASCII_SIZE_LIMIT = 16 << 20
"""SIZE in TYPE A reads the file to count its line ends; larger files get 550 (ask in TYPE I)."""


class PassivePort(Protocol):
    """The driver's passive data listener for one session."""

    def open(self) -> int:
        """Bind a listener in the configured range; return its port (NoPassivePort if none is free)."""

    def close(self) -> None:
        """Drop the listener, if any (its port goes back to the pool)."""


class NoPassivePort(OSError):
    """Every port of the passive range is in use."""

    def __init__(self, in_use: int, total: int) -> None:
        super().__init__(f"{in_use} of {total} passive ports in use")
        self.in_use, self.total = in_use, total


@dataclass(frozen=True)
class Transfer:
    """A data-connection job for the driver."""

    verb: str                          # RETR STOR APPE LIST NLST MLSD
    vpath: str                         # for the log
    path: Path | None                  # real file (None for listings)
    ascii: bool = False
    offset: int = 0                    # REST: where RETR starts reading, or where STOR starts writing
    payload: bytes = b""               # listing text for LIST/NLST/MLSD
    active: tuple[str, int] | None = None  # PORT/EPRT address; None means passive

    @property
    def upload(self) -> bool:
        return self.verb in ("STOR", "APPE")


@dataclass(frozen=True)
class TransferResult:
    ok: bool
    nbytes: int = 0
    seconds: float = 0.0
    error: str = ""    # "no-data-connection", "aborted", "connection-lost", "timed out", "local: ..."
    superseded_fd: int = -1   # the file an upload replaced, held open until `release` (see transfer.py)

    def release(self) -> None:
        """Let go of the replaced file: the kernel frees its blocks now, after the reply was sent."""
        if self.superseded_fd >= 0:
            os.close(self.superseded_fd)


class FtpSession:
    def __init__(self, config: FtpConfig, jail: Jail, peer: tuple, advertised_ip: str, passive: PassivePort,
                 clock: Callable[[], float] = time.monotonic, throttle: LoginThrottle | None = None) -> None:
        self.config = config
        self.jail = jail
        self.peer_ip = peer[0]
        self.peer = f"{peer[0]}:{peer[1]}"
        self.advertised_ip = advertised_ip
        self.passive = passive
        self.clock = clock
        self.throttle = throttle or LoginThrottle(config.login_delay, clock)
        self.closing = False
        self.user: str | None = None          # set once logged in
        self.cwd = "/"
        self._reader = LineReader()
        self._held: deque[bytes | object] = deque()
        self._out = bytearray()
        self._paused_until: float | None = None
        self._pending_user: str | None = None
        self._failures = 0
        self._ascii = False
        self._rest = 0
        self._epsv_all = False
        self._rename_from: tuple[str, Path] | None = None
        self._data: str | tuple[str, int] | None = None   # "passive" or an active address
        self._transfer: Transfer | None = None         # pending until transfer_done
        self._transfer_to_run: Transfer | None = None  # handed to the driver once
        self._last_activity = clock()
        self._send(220, config.banner)

    # ---- the Session contract -------------------------------------------------------------------
    def receive(self, data: bytes) -> None:
        self._last_activity = self.clock()
        if not data:
            self.closing = True
            return
        self._held.extend(self._reader.feed(data))
        self._run_held()

    def outgoing(self) -> bytes:
        if self._paused_until is not None:
            return b""  # a failed login's reply waits for `resume`
        out = bytes(self._out)
        self._out.clear()
        return out

    def deadline(self) -> float | None:
        if self._transfer is not None:
            return None
        return self._last_activity + self.config.idle_timeout

    def timed_out(self) -> None:
        """The driver saw `deadline()` pass: say so and close."""
        self._send(421, "Idle timeout, closing control connection.")
        self.closing = True

    # ---- pauses (login throttling) --------------------------------------------------------------
    def pause(self) -> float | None:
        """Seconds the driver must wait before sending or reading on (None: no pause); then `resume()`."""
        if self._paused_until is None:
            return None
        return max(0.0, self._paused_until - self.clock())

    def resume(self) -> None:
        """The pause is over: release the held reply and go on with held lines."""
        self._paused_until = None
        self._last_activity = self.clock()
        self._run_held()

    def _pause_until(self, when: float) -> None:
        if when > self.clock():
            self._paused_until = when

    # ---- data transfers -------------------------------------------------------------------------
    def take_transfer(self) -> Transfer | None:
        """The transfer the driver must run now (once), or None."""
        transfer, self._transfer_to_run = self._transfer_to_run, None
        return transfer

    def transfer_done(self, result: TransferResult) -> None:
        transfer = self._transfer
        assert transfer is not None, "transfer_done without a transfer"
        self._transfer = None
        self._data = None
        self._last_activity = self.clock()
        rate = result.nbytes / result.seconds / 2**20 if result.seconds > 0 else 0.0
        log.info("%s %s transfer %s %s %s bytes=%d seconds=%.3f MiB/s=%.1f %s", self.peer, self.user,
                 transfer.verb, transfer.vpath, "ok" if result.ok else "FAILED", result.nbytes, result.seconds,
                 rate, result.error)
        if result.ok:
            self._send(226, f"Transfer complete ({result.nbytes} bytes).")
        elif result.error == "no-data-connection":
            self._send(425, "Can't open data connection.")
        elif result.error.startswith("local"):
            self._send(451, f"Requested action aborted: {result.error}.")
        else:
            self._send(426, f"Connection closed; transfer aborted ({result.error or 'failed'}).")
        self._run_held()

    # ---- command dispatch -----------------------------------------------------------------------
    def _run_held(self) -> None:
        while self._held and self._transfer is None and self._paused_until is None and not self.closing:
            item = self._held.popleft()
            if item is OVERLONG:
                log.info("%s %s command line over %d bytes refused", self.peer, self.user, self._reader.max_line)
                self._send(500, "Command line too long.")
                continue
            assert isinstance(item, bytes)
            if not item.strip():
                continue
            self._dispatch(parse_command(item))

    def _dispatch(self, cmd: Command) -> None:
        shown = "PASS ****" if cmd.verb == "PASS" else str(cmd)
        if not is_probe(self.peer_ip):
            log.info("%s %s %s", self.peer, self.user or "-", shown.encode("utf-8", "backslashreplace").decode())
        rule = COMMANDS.get(cmd.verb)
        if rule is None:
            self._send(500, f"Unknown command {cmd.verb[:20]!r}.")
            return
        if rule.handler is None:
            self._send(502, f"{cmd.verb} not implemented.")
            return
        if rule.login and self.user is None:
            self._send(530, "Please log in with USER and PASS.")
            return
        if cmd.verb != "RNTO":
            self._rename_from = None  # RFC 959: RNTO must come right after RNFR
        rest, self._rest = self._rest, (self._rest if rule.keeps_rest else 0)  # REST is for the next transfer only
        if rule.arg and not cmd.arg:
            self._send(501, "Syntax error: argument required.")
            return
        if rule.write and not self._may_write(cmd.verb):
            return
        if rule.takes_rest:
            rule.handler(self, cmd.arg, rest)
        else:
            rule.handler(self, cmd.arg)

    def _send(self, code: int, text: str | list[str]) -> None:
        self._out += reply(code, text)

    # ---- helpers --------------------------------------------------------------------------------
    def _path(self, arg: str) -> tuple[str, Path] | None:
        """Resolve `arg`, or reply 550 and return None."""
        try:
            return self.jail.resolve(self.cwd, arg)
        except JailError:
            self._send(550, "Permission denied: path outside the library.")
            return None

    @contextmanager
    def _or_550(self, failure: str) -> Iterator[None]:
        """Run a file operation; if it raises OSError, reply ``550 failure: reason.`` and skip the rest."""
        try:
            yield
        except OSError as exc:
            self._send(550, f"{failure}: {exc.strerror or 'failed'}.")

    def _may_write(self, verb: str) -> bool:
        """Reply 550 and return False when this user may not `verb` (a write)."""
        if self.config.read_only:
            self._send(550, "Permission denied: server is read-only.")
            return False
        if self.user in ANONYMOUS_NAMES and not (self.config.anon_upload and verb in ("STOR", "MKD")):
            self._send(550, "Permission denied: anonymous users may not write here.")
            return False
        return True

    def _writable(self) -> bool:
        return not self.config.read_only and (self.user not in ANONYMOUS_NAMES or self.config.anon_upload)

    def _start(self, transfer: Transfer, text: str) -> None:
        if self._data is None:
            self._send(425, "Use PORT, EPRT, PASV or EPSV first.")
            return
        active = self._data if isinstance(self._data, tuple) else None
        transfer = Transfer(transfer.verb, transfer.vpath, transfer.path, self._ascii, transfer.offset,
                            transfer.payload, active)
        self._send(150, text)
        self._transfer = transfer
        self._transfer_to_run = transfer

    def _plain_file(self, arg: str) -> tuple[str, Path, os.stat_result] | None:
        """The jailed regular file `arg` names with its stat, or None once the 550 is sent."""
        found = self._path(arg)
        if found is None:
            return None
        with self._or_550(f"{arg}: no such file"):
            st = found[1].stat()
            if not stat.S_ISREG(st.st_mode):
                self._send(550, f"{arg}: not a plain file.")
                return None
            return found[0], found[1], st
        return None

    # ---- login and session ----------------------------------------------------------------------
    def _cmd_USER(self, arg: str) -> None:
        self.user = None
        self._pending_user = arg
        if arg in ANONYMOUS_NAMES:
            self._send(331, "Anonymous login: send your e-mail address as password.")
        else:
            self._send(331, f"Password required for {arg}.")

    def _cmd_PASS(self, arg: str) -> None:
        if self._pending_user is None:
            self._send(503, "Login with USER first.")
            return
        name, self._pending_user = self._pending_user, None
        turn = self.throttle.turn(self.peer_ip)
        if turn is None:  # this address already has a queue of failures waiting: not even checked
            log.warning("%s login refused for %r: too many failed logins from %s waiting", self.peer, name,
                        self.peer_ip)
            self._send(421, "Too many failed logins from your address, try again later.")
            self.closing = True
            return
        if name in ANONYMOUS_NAMES:
            accepted = self.config.anonymous
        else:
            expected = self.config.users.get(name)
            accepted = expected is not None and _same(expected, arg)
        if accepted:
            self._pause_until(turn)
            self.user = "anonymous" if name in ANONYMOUS_NAMES else name
            self.cwd = "/"
            log.info("%s login ok as %s", self.peer, self.user)
            self._send(230, f"Login successful{' (read-only)' if not self._writable() else ''}.")
            return
        self._failures += 1
        self._pause_until(self.throttle.failed(self.peer_ip, turn))
        log.warning("%s failed login as %r from %s (%d of %d on this connection)", self.peer, name, self.peer_ip,
                    self._failures, self.config.max_login_attempts)
        self._send(530, "Login incorrect.")
        if self._failures >= self.config.max_login_attempts:
            self._send(421, "Too many failed logins, closing.")
            self.closing = True

    def _cmd_QUIT(self, _arg: str) -> None:
        self._send(221, "Goodbye.")
        self.passive.close()
        self.closing = True

    def _cmd_SYST(self, _arg: str) -> None:
        self._send(215, "UNIX Type: L8")

    def _cmd_FEAT(self, _arg: str) -> None:
        self._send(211, ["Features:", *(f" {feature}" for feature in FEATURES), "End"])

    def _cmd_HELP(self, _arg: str) -> None:
        verbs = sorted(verb for verb, rule in COMMANDS.items() if rule.handler is not None)
        rows = [" " + " ".join(f"{verb:<5}" for verb in verbs[i:i + 8]) for i in range(0, len(verbs), 8)]
        self._send(214, ["The following commands are recognized:", *rows, "Help OK."])

    def _cmd_OPTS(self, arg: str) -> None:
        option = arg.upper().split()
        if option[:1] == ["UTF8"] and option[1:] in ([], ["ON"]):
            self._send(200, "UTF8 mode is always on.")
        elif option[:1] == ["MLST"]:
            self._send(200, "MLST OPTS " + "".join(option[1:2]))
        else:
            self._send(501, "Option not understood.")

    def _cmd_NOOP(self, _arg: str) -> None:
        self._send(200, "NOOP ok.")

    def _cmd_TYPE(self, arg: str) -> None:
        kind = arg.upper().split()
        if kind in (["A"], ["A", "N"]):
            self._ascii = True
            self._send(200, "Type set to A (ASCII).")
        elif kind in (["I"], ["L", "8"]):
            self._ascii = False
            self._send(200, "Type set to I (binary).")
        else:
            self._send(504, f"Type {arg} not implemented.")

    def _cmd_MODE(self, arg: str) -> None:
        self._send(200, "Mode set to S.") if arg.upper() == "S" else self._send(504, "Only MODE S.")

    def _cmd_STRU(self, arg: str) -> None:
        self._send(200, "Structure set to F.") if arg.upper() == "F" else self._send(504, "Only STRU F.")

    # ---- directories ----------------------------------------------------------------------------
    def _cmd_PWD(self, _arg: str) -> None:
        self._send(257, f"{quote_path(self.cwd)} is the current directory.")

    def _cmd_CWD(self, arg: str) -> None:
        found = self._path(arg)
        if found is None:
            return
        vpath, path = found
        if not path.is_dir():
            self._send(550, f"{arg}: no such directory.")
            return
        self.cwd = vpath
        self._send(250, f"Directory changed to {vpath}.")

    def _cmd_CDUP(self, _arg: str) -> None:
        if self.cwd == "/":
            self._send(250, "Already at the root; directory is /.")
            return
        self._cmd_CWD("..")

    def _cmd_MKD(self, arg: str) -> None:
        found = self._path(arg)
        if found is None:
            return
        with self._or_550(f"Cannot create {arg}"):
            found[1].mkdir()
            self._send(257, f"{quote_path(found[0])} created.")

    def _cmd_RMD(self, arg: str) -> None:
        found = self._path(arg)
        if found is None:
            return
        vpath, path = found
        if vpath == "/" or vpath == self.cwd:
            self._send(550, "Cannot remove the root or the current directory.")
            return
        with self._or_550(f"Cannot remove {arg}"):
            path.rmdir()
            self._send(250, f"{vpath} removed.")

    # ---- listings -------------------------------------------------------------------------------
    def _listing(self, verb: str, arg: str) -> None:
        names = [word for word in arg.split(" ") if word and not word.startswith("-")] if verb == "LIST" else []
        target = " ".join(names) if verb == "LIST" else arg
        found = self._path(target or ".")
        if found is None:
            return
        vpath, path = found
        if verb == "MLSD" and not path.is_dir():
            self._send(501, f"{target}: not a directory.")
            return
        with self._or_550(f"{target or vpath}: no such file or directory"):
            payload = listing.render(verb, self.jail, path, self._writable())
            self._start(Transfer(verb, vpath, None, payload=payload), f"Here comes the listing of {vpath}.")

    def _cmd_LIST(self, arg: str) -> None:
        self._listing("LIST", arg)

    def _cmd_NLST(self, arg: str) -> None:
        self._listing("NLST", arg)

    def _cmd_MLSD(self, arg: str) -> None:
        self._listing("MLSD", arg)

    def _cmd_MLST(self, arg: str) -> None:
        found = self._path(arg or ".")
        if found is None:
            return
        vpath, path = found
        with self._or_550(f"{arg or vpath}: no such file or directory"):
            facts = listing.mlsx_facts(vpath, path.stat(), self._writable())
            self._send(250, [f"Listing {vpath}", f" {facts}", "End"])

    # ---- transfers ------------------------------------------------------------------------------
    def _cmd_REST(self, arg: str) -> None:
        if not arg.isdigit():
            self._send(501, "REST needs a byte offset.")
            return
        self._rest = int(arg)
        self._send(350, f"Restarting at {self._rest}. Send RETR or STOR to resume.")

    def _cmd_RETR(self, arg: str, offset: int = 0) -> None:
        found = self._plain_file(arg)
        if found is None:
            return
        vpath, path, st = found
        if not os.access(path, os.R_OK):
            self._send(550, f"{arg}: permission denied.")
            return
        if offset > st.st_size:
            self._send(554, f"Restart offset {offset} is past the end ({st.st_size} bytes).")
            return
        mode = "ASCII" if self._ascii else "BINARY"
        self._start(Transfer("RETR", vpath, path, offset=offset),
                    f"Opening {mode} mode data connection for {vpath} ({st.st_size - offset} bytes).")

    def _upload(self, verb: str, arg: str, offset: int = 0) -> None:
        found = self._path(arg)
        if found is None:
            return
        vpath, path = found
        if not path.parent.is_dir():
            self._send(553, f"{arg}: no such directory.")
            return
        if path.exists() and not path.is_file():
            self._send(553, f"{arg}: not a plain file.")
            return
        if self.user in ANONYMOUS_NAMES and path.exists():
            self._send(553, f"{arg}: anonymous users may not overwrite files.")
            return
        if offset:
            # Resume (RFC 3659 5.1): keep the first `offset` bytes, write the data after them. A file
            # shorter than that has a hole the client cannot fill: refuse rather than lose data.
            size = path.stat().st_size if path.is_file() else 0
            if offset > size:
                self._send(554, f"Restart offset {offset} is past the end of {arg} ({size} bytes).")
                return
            text = f"Ok to send data for {vpath}, resuming at byte {offset}."
        else:
            text = f"Ok to send data for {vpath}."
        self._start(Transfer(verb, vpath, path, offset=offset), text)

    def _cmd_STOR(self, arg: str, offset: int = 0) -> None:
        self._upload("STOR", arg, offset)

    def _cmd_APPE(self, arg: str) -> None:
        self._upload("APPE", arg)

    def _cmd_ABOR(self, _arg: str) -> None:
        # A transfer that was running has already ended (426) when this line is read.
        self.passive.close()
        self._data = None
        self._send(226, "Abort successful.")

    # ---- files ----------------------------------------------------------------------------------
    def _cmd_DELE(self, arg: str) -> None:
        found = self._path(arg)
        if found is None:
            return
        vpath, path = found
        if path.is_dir() and not path.is_symlink():
            self._send(550, f"{arg}: is a directory (use RMD).")
            return
        with self._or_550(f"Cannot delete {arg}"):
            path.unlink()
            self._send(250, f"{vpath} deleted.")

    def _cmd_RNFR(self, arg: str) -> None:
        found = self._path(arg)
        if found is None:
            return
        if not os.path.lexists(found[1]) or found[0] == "/":
            self._send(550, f"{arg}: no such file or directory.")
            return
        self._rename_from = found
        self._send(350, "Ready for RNTO.")

    def _cmd_RNTO(self, arg: str) -> None:
        source, self._rename_from = self._rename_from, None
        if source is None:
            self._send(503, "RNFR required first.")
            return
        found = self._path(arg)
        if found is None:
            return
        with self._or_550("Rename failed"):
            os.replace(source[1], found[1])
            self._send(250, f"Renamed {source[0]} to {found[0]}.")

    def _cmd_SIZE(self, arg: str) -> None:
        found = self._plain_file(arg)
        if found is None:
            return
        if not self._ascii:
            self._send(213, str(found[2].st_size))
            return
        # TYPE A sends every line end as CRLF: the size is what RETR would send now (RFC 3659 4).
        if found[2].st_size > ASCII_SIZE_LIMIT:
            self._send(550, f"{arg}: too large to size in ASCII mode; use TYPE I.")
            return
        with self._or_550(f"{arg}: cannot read"):
            self._send(213, str(ascii_size(found[1])))

    def _cmd_MDTM(self, arg: str) -> None:
        found = self._path(arg)
        if found is None:
            return
        with self._or_550(f"{arg}: no such file"):
            self._send(213, listing.mdtm(found[1].stat().st_mtime))

    # ---- data connection set-up -----------------------------------------------------------------
    def _refused_after_epsv_all(self, verb: str) -> bool:
        if self._epsv_all:
            self._send(501, f"{verb} refused after EPSV ALL; use EPSV.")  # RFC 2428 4
        return self._epsv_all

    def _open_passive(self) -> int | None:
        self.passive.close()
        try:
            port = self.passive.open()
        except OSError as exc:
            log.warning("%s no passive port: %s", self.peer, exc)
            self._send(425, f"No passive port available ({exc}), try again later.")
            return None
        self._data = "passive"
        return port

    def _cmd_PASV(self, _arg: str) -> None:
        if self._refused_after_epsv_all("PASV"):
            return
        port = self._open_passive()
        if port is not None:
            numbers = self.advertised_ip.replace(".", ",")
            self._send(227, f"Entering Passive Mode ({numbers},{port >> 8},{port & 0xFF}).")

    def _cmd_EPSV(self, arg: str) -> None:
        if arg.upper() == "ALL":
            self._epsv_all = True
            self._send(200, "EPSV ALL ok: from now on only EPSV sets up data connections.")
            return
        if arg not in ("", "1"):
            self._send(522, "Network protocol not supported, use (1).")
            return
        port = self._open_passive()
        if port is not None:
            self._send(229, f"Entering Extended Passive Mode (|||{port}|).")

    def _set_active(self, host: str, port: int) -> None:
        """Accept an active address only if it is the client's own (no FTP bounce, RFC 2577)."""
        if host != self.peer_ip:
            log.warning("%s refused PORT to third party %s:%d (bounce)", self.peer, host, port)
            self._send(501, "Rejected: data connections go only to your own address.")
            return
        if port < 1024:
            self._send(501, "Rejected: privileged data port.")
            return
        self.passive.close()
        self._data = (host, port)
        self._send(200, "PORT command successful.")

    def _cmd_PORT(self, arg: str) -> None:
        if self._refused_after_epsv_all("PORT"):
            return
        try:
            numbers = [int(part) for part in arg.split(",")]
            if len(numbers) != 6 or not all(0 <= n <= 255 for n in numbers):
                raise ValueError
        except ValueError:
            self._send(501, "Syntax: PORT h1,h2,h3,h4,p1,p2.")
            return
        self._set_active(".".join(map(str, numbers[:4])), numbers[4] << 8 | numbers[5])

    def _cmd_EPRT(self, arg: str) -> None:
        if self._refused_after_epsv_all("EPRT"):
            return
        parts = arg[1:].split(arg[:1]) if len(arg) > 1 else []
        if len(parts) != 4 or parts[3] != "":
            self._send(501, "Syntax: EPRT |1|address|port|.")
            return
        proto, host, port_text, _ = parts
        if proto != "1":
            self._send(522, "Network protocol not supported, use (1).")
            return
        try:
            ipaddress.IPv4Address(host)
            port = int(port_text)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            self._send(501, "Syntax: EPRT |1|address|port|.")
            return
        self._set_active(host, port)


@dataclass(frozen=True)
class Rule:
    """How the session treats one command (a row of pyftpdlib's ``proto_cmds``, as a record)."""

    handler: Callable[..., None] | None
    """`FtpSession` method taking the argument; None: a known command not implemented (502)."""
    login: bool = True
    """Refused with 530 before login."""
    arg: bool = False
    """Refused with 501 without an argument."""
    write: bool = False
    """Refused with 550 for a user who may not write (read-only server, anonymous)."""
    keeps_rest: bool = False
    """A pending REST survives this command (it is for the next RETR or STOR)."""
    takes_rest: bool = False
    """The handler gets the pending REST offset as its second argument (RETR, STOR)."""


S = FtpSession
_NOT_IMPLEMENTED = Rule(None, login=False)

COMMANDS: dict[str, Rule] = {
    # login and session
    "USER": Rule(S._cmd_USER, login=False, arg=True),
    "PASS": Rule(S._cmd_PASS, login=False),
    "QUIT": Rule(S._cmd_QUIT, login=False),
    "SYST": Rule(S._cmd_SYST, login=False),
    "FEAT": Rule(S._cmd_FEAT, login=False),
    "HELP": Rule(S._cmd_HELP, login=False),
    "OPTS": Rule(S._cmd_OPTS, login=False),
    "NOOP": Rule(S._cmd_NOOP, login=False, keeps_rest=True),
    "TYPE": Rule(S._cmd_TYPE, arg=True, keeps_rest=True),
    "MODE": Rule(S._cmd_MODE, arg=True),
    "STRU": Rule(S._cmd_STRU, arg=True),
    # directories
    "PWD": Rule(S._cmd_PWD),
    "XPWD": Rule(S._cmd_PWD),
    "CWD": Rule(S._cmd_CWD, arg=True),
    "CDUP": Rule(S._cmd_CDUP),
    "MKD": Rule(S._cmd_MKD, arg=True, write=True),
    "RMD": Rule(S._cmd_RMD, arg=True, write=True),
    # listings
    "LIST": Rule(S._cmd_LIST),
    "NLST": Rule(S._cmd_NLST),
    "MLSD": Rule(S._cmd_MLSD),
    "MLST": Rule(S._cmd_MLST),
    # transfers
    "REST": Rule(S._cmd_REST, keeps_rest=True),
    "RETR": Rule(S._cmd_RETR, arg=True, takes_rest=True),
    "STOR": Rule(S._cmd_STOR, arg=True, write=True, takes_rest=True),
    "APPE": Rule(S._cmd_APPE, arg=True, write=True),
    "ABOR": Rule(S._cmd_ABOR),
    # files
    "DELE": Rule(S._cmd_DELE, arg=True, write=True),
    "RNFR": Rule(S._cmd_RNFR, arg=True, write=True),
    "RNTO": Rule(S._cmd_RNTO, arg=True, write=True),
    "SIZE": Rule(S._cmd_SIZE, arg=True),
    "MDTM": Rule(S._cmd_MDTM, arg=True),
    # data connection set-up
    "PASV": Rule(S._cmd_PASV, keeps_rest=True),
    "EPSV": Rule(S._cmd_EPSV, keeps_rest=True),
    "PORT": Rule(S._cmd_PORT, keeps_rest=True),
    "EPRT": Rule(S._cmd_EPRT, keeps_rest=True),
    # known, not implemented: 502 rather than 500
    **dict.fromkeys(["ACCT", "SMNT", "REIN", "STOU", "SITE", "STAT", "AUTH", "PBSZ", "PROT", "LPRT", "LPSV",
                     "ADAT", "CCC", "CONF", "ENC", "MIC", "LANG"], _NOT_IMPLEMENTED),
}
"""Every command the server knows, with its rules."""


def ascii_size(path: Path, chunk: int = 1 << 20) -> int:
    """Bytes RETR sends for `path` in TYPE A: every line end (LF or CRLF) becomes CRLF."""
    size = 0
    previous = b""
    with open(path, "rb") as source:
        while block := source.read(chunk):
            crlf = block.count(b"\r\n") + (previous == b"\r" and block[:1] == b"\n")
            size += len(block) - crlf + block.count(b"\n")
            previous = block[-1:]
    return size


def _same(expected: str, given: str) -> bool:
    """Constant-time password comparison."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogateescape"), given.encode("utf-8", "surrogateescape"))
