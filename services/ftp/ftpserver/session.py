"""One FTP control connection as a sans-I/O state machine.

`FtpSession` follows the socketlab `Session` contract (receive / outgoing /
closing / deadline). Everything that needs a socket besides the control
connection is asked of the driver:

* PASV/EPSV call `passive.open()` (the driver binds a listener, returns its port);
* LIST, NLST, MLSD, RETR, STOR and APPE reply ``150`` and leave a `Transfer`
  in `take_transfer()`. While it is pending, further command lines are held
  (not lost); the driver runs it and calls `transfer_done(result)`, which
  sends the final reply (226/426/425/451) and goes on with held lines.

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import listing
from .config import ANONYMOUS_NAMES, FtpConfig
from .jail import Jail, JailError
from .wire import OVERLONG, Command, LineReader, parse_command, quote_path, reply

log = logging.getLogger("ftp.session")

MAX_LOGIN_FAILURES = 3

FEATURES = ["EPRT", "EPSV", "MDTM", "MLST type*;size*;modify*;perm*;", "PASV", "REST STREAM", "SIZE",
            "TVFS", "UTF8"]

ALLOWED_BEFORE_LOGIN = frozenset({"USER", "PASS", "QUIT", "SYST", "FEAT", "NOOP", "OPTS", "HELP", "AUTH"})

NOT_IMPLEMENTED = frozenset({"ACCT", "SMNT", "REIN", "STOU", "SITE", "STAT", "AUTH", "PBSZ", "PROT", "LPRT",
                             "LPSV", "ADAT", "CCC", "CONF", "ENC", "MIC", "LANG"})


class PassivePort(Protocol):
    """The driver's passive data listener for one session."""

    def open(self) -> int:
        """Bind a listener in the configured range; return its port (OSError if none is free)."""

    def close(self) -> None:
        """Drop the listener, if any."""


@dataclass(frozen=True)
class Transfer:
    """A data-connection job for the driver."""

    verb: str                          # RETR STOR APPE LIST NLST MLSD
    vpath: str                         # for the log
    path: Path | None                  # real file (None for listings)
    ascii: bool = False
    offset: int = 0                    # REST for RETR
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
    error: str = ""    # "no-data-connection", "aborted", "connection-lost", "local: ..."
    superseded_fd: int = -1   # the file an upload replaced, held open until `release` (see transfer.py)

    def release(self) -> None:
        """Let go of the replaced file: the kernel frees its blocks now, after the reply was sent."""
        if self.superseded_fd >= 0:
            os.close(self.superseded_fd)


class FtpSession:
    def __init__(self, config: FtpConfig, jail: Jail, peer: tuple, advertised_ip: str, passive: PassivePort,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.jail = jail
        self.peer_ip = peer[0]
        self.peer = f"{peer[0]}:{peer[1]}"
        self.advertised_ip = advertised_ip
        self.passive = passive
        self.clock = clock
        self.closing = False
        self.user: str | None = None          # set once logged in
        self.cwd = "/"
        self._reader = LineReader()
        self._held: deque[bytes | object] = deque()
        self._out = bytearray()
        self._pending_user: str | None = None
        self._failures = 0
        self._ascii = False
        self._rest = 0
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
        while self._held and self._transfer is None and not self.closing:
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
        log.info("%s %s %s", self.peer, self.user or "-", shown.encode("utf-8", "backslashreplace").decode())
        handler = getattr(self, f"_cmd_{cmd.verb}", None) if cmd.verb.isalpha() else None
        if handler is None:
            if cmd.verb in NOT_IMPLEMENTED:
                self._send(502, f"{cmd.verb} not implemented.")
            else:
                self._send(500, f"Unknown command {cmd.verb[:20]!r}.")
            return
        if self.user is None and cmd.verb not in ALLOWED_BEFORE_LOGIN:
            self._send(530, "Please log in with USER and PASS.")
            return
        if cmd.verb != "RNTO":
            self._rename_from = None  # RFC 959: RNTO must come right after RNFR
        if cmd.verb not in ("REST", "RETR", "NOOP", "TYPE", "PASV", "EPSV", "PORT", "EPRT"):
            self._rest = 0  # REST applies to the next transfer only
        handler(cmd.arg)

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

    def _write_target(self, arg: str, verb: str) -> tuple[str, Path] | None:
        """The jailed path a write command `verb` names, or None once the refusal is sent (501 or 550)."""
        if not self._need_arg(arg) or not self._may_write(verb):
            return None
        return self._path(arg)

    def _need_arg(self, arg: str) -> bool:
        if not arg:
            self._send(501, "Syntax error: argument required.")
            return False
        return True

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

    # ---- login and session ----------------------------------------------------------------------
    def _cmd_USER(self, arg: str) -> None:
        if not self._need_arg(arg):
            return
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
        if name in ANONYMOUS_NAMES:
            accepted = self.config.anonymous
        else:
            expected = self.config.users.get(name)
            accepted = expected is not None and _same(expected, arg)
        if accepted:
            self.user = "anonymous" if name in ANONYMOUS_NAMES else name
            self.cwd = "/"
            log.info("%s login ok as %s", self.peer, self.user)
            self._send(230, f"Login successful{' (read-only)' if not self._writable() else ''}.")
            return
        self._failures += 1
        log.info("%s login refused for %r", self.peer, name)
        self._send(530, "Login incorrect.")
        if self._failures >= MAX_LOGIN_FAILURES:
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
        verbs = sorted(name[5:] for name in dir(self) if name.startswith("_cmd_"))
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
        if not self._need_arg(arg):
            return
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
        if self._need_arg(arg):
            self._send(200, "Mode set to S.") if arg.upper() == "S" else self._send(504, "Only MODE S.")

    def _cmd_STRU(self, arg: str) -> None:
        if self._need_arg(arg):
            self._send(200, "Structure set to F.") if arg.upper() == "F" else self._send(504, "Only STRU F.")

    # ---- directories ----------------------------------------------------------------------------
    def _cmd_PWD(self, _arg: str) -> None:
        self._send(257, f"{quote_path(self.cwd)} is the current directory.")

    def _cmd_XPWD(self, arg: str) -> None:
        self._cmd_PWD(arg)

    def _cmd_CWD(self, arg: str) -> None:
        if not self._need_arg(arg):
            return
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
        found = self._write_target(arg, "MKD")
        if found is None:
            return
        vpath, path = found
        try:
            path.mkdir()
        except OSError as exc:
            self._send(550, f"Cannot create {arg}: {exc.strerror}.")
            return
        self._send(257, f"{quote_path(vpath)} created.")

    def _cmd_RMD(self, arg: str) -> None:
        found = self._write_target(arg, "RMD")
        if found is None:
            return
        vpath, path = found
        if vpath == "/" or vpath == self.cwd:
            self._send(550, "Cannot remove the root or the current directory.")
            return
        try:
            path.rmdir()
        except OSError as exc:
            self._send(550, f"Cannot remove {arg}: {exc.strerror}.")
            return
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
        try:
            payload = listing.render(verb, self.jail, path, self._writable())
        except OSError:
            self._send(550, f"{target or vpath}: no such file or directory.")
            return
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
        try:
            st = path.stat()
        except OSError:
            self._send(550, f"{arg or vpath}: no such file or directory.")
            return
        facts = listing.mlsx_facts(vpath, st, self._writable())
        self._send(250, [f"Listing {vpath}", f" {facts}", "End"])

    # ---- transfers ------------------------------------------------------------------------------
    def _cmd_REST(self, arg: str) -> None:
        if not arg.isdigit():
            self._send(501, "REST needs a byte offset.")
            return
        self._rest = int(arg)
        self._send(350, f"Restarting at {self._rest}. Send RETR to resume.")

    def _cmd_RETR(self, arg: str) -> None:
        offset, self._rest = self._rest, 0
        if not self._need_arg(arg):
            return
        found = self._path(arg)
        if found is None:
            return
        vpath, path = found
        try:
            st = path.stat()
        except OSError:
            self._send(550, f"{arg}: no such file.")
            return
        if not stat.S_ISREG(st.st_mode):
            self._send(550, f"{arg}: not a plain file.")
            return
        if not os.access(path, os.R_OK):
            self._send(550, f"{arg}: permission denied.")
            return
        if offset > st.st_size:
            self._send(554, f"Restart offset {offset} is past the end ({st.st_size} bytes).")
            return
        mode = "ASCII" if self._ascii else "BINARY"
        self._start(Transfer("RETR", vpath, path, offset=offset),
                    f"Opening {mode} mode data connection for {vpath} ({st.st_size - offset} bytes).")

    def _upload(self, verb: str, arg: str) -> None:
        found = self._write_target(arg, verb)
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
        self._start(Transfer(verb, vpath, path), f"Ok to send data for {vpath}.")

    def _cmd_STOR(self, arg: str) -> None:
        self._upload("STOR", arg)

    def _cmd_APPE(self, arg: str) -> None:
        self._upload("APPE", arg)

    def _cmd_ABOR(self, _arg: str) -> None:
        # A transfer that was running has already ended (426) when this line is read.
        self.passive.close()
        self._data = None
        self._send(226, "ABOR successful; no transfer in progress.")

    # ---- files ----------------------------------------------------------------------------------
    def _cmd_DELE(self, arg: str) -> None:
        found = self._write_target(arg, "DELE")
        if found is None:
            return
        vpath, path = found
        if path.is_dir() and not path.is_symlink():
            self._send(550, f"{arg}: is a directory (use RMD).")
            return
        try:
            path.unlink()
        except OSError as exc:
            self._send(550, f"Cannot delete {arg}: {exc.strerror}.")
            return
        self._send(250, f"{vpath} deleted.")

    def _cmd_RNFR(self, arg: str) -> None:
        found = self._write_target(arg, "RNFR")
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
        if not self._need_arg(arg):
            return
        found = self._path(arg)
        if found is None:
            return
        try:
            os.replace(source[1], found[1])
        except OSError as exc:
            self._send(550, f"Rename failed: {exc.strerror}.")
            return
        self._send(250, f"Renamed {source[0]} to {found[0]}.")

    def _cmd_SIZE(self, arg: str) -> None:
        found = self._need_arg(arg) and self._path(arg)
        if not found:
            return
        try:
            st = found[1].stat()
        except OSError:
            self._send(550, f"{arg}: no such file.")
            return
        if not stat.S_ISREG(st.st_mode):
            self._send(550, f"{arg}: not a plain file.")
            return
        self._send(213, str(st.st_size))

    def _cmd_MDTM(self, arg: str) -> None:
        found = self._need_arg(arg) and self._path(arg)
        if not found:
            return
        try:
            st = found[1].stat()
        except OSError:
            self._send(550, f"{arg}: no such file.")
            return
        self._send(213, listing.mdtm(st.st_mtime))

    # ---- data connection set-up -----------------------------------------------------------------
    def _open_passive(self) -> int | None:
        self.passive.close()
        try:
            port = self.passive.open()
        except OSError as exc:
            log.warning("%s no passive port: %s", self.peer, exc)
            self._send(425, "No passive port available, try again later.")
            return None
        self._data = "passive"
        return port

    def _cmd_PASV(self, _arg: str) -> None:
        port = self._open_passive()
        if port is not None:
            numbers = self.advertised_ip.replace(".", ",")
            self._send(227, f"Entering Passive Mode ({numbers},{port >> 8},{port & 0xFF}).")

    def _cmd_EPSV(self, arg: str) -> None:
        if arg.upper() == "ALL":
            self._send(200, "EPSV ALL ok.")
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
        try:
            numbers = [int(part) for part in arg.split(",")]
            if len(numbers) != 6 or not all(0 <= n <= 255 for n in numbers):
                raise ValueError
        except ValueError:
            self._send(501, "Syntax: PORT h1,h2,h3,h4,p1,p2.")
            return
        self._set_active(".".join(map(str, numbers[:4])), numbers[4] << 8 | numbers[5])

    def _cmd_EPRT(self, arg: str) -> None:
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


def _same(expected: str, given: str) -> bool:
    """Constant-time password comparison."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogateescape"), given.encode("utf-8", "surrogateescape"))
