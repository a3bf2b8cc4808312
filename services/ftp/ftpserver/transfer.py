"""Data connections: the blocking I/O half of a transfer.

Runs in the control connection's thread (thread-per-connection model), so a
transfer simply blocks that thread; other clients have their own. Between
chunks it peeks at the control connection: a client that disconnects or
sends ABOR ends the transfer at once.

Uploads go to a hidden temporary file in the target directory and are
renamed over the final name only once complete (`os.replace` is atomic), so
an aborted upload leaves nothing under the final name and two concurrent
uploads of one name never interleave: the last to finish wins, whole.

Replacing a large file has a hidden cost: when the rename drops the old
file's last link, the kernel frees its cached pages inside that system call
(a quarter of a second for 256 MiB). The upload keeps the old file open across
the rename and lets go only after the 226 has been sent (`TransferResult.release`),
so the client is not kept waiting for the clean-up of a file it has replaced.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import socket
import stat
import struct
import tempfile
import threading
import time
from pathlib import Path

from socketlab_common.lifecycle import StopSignal

from .jail import UPLOAD_PREFIX
from .session import NoPassivePort, Transfer, TransferResult

CHUNK = 1 << 20
"""Receive buffer for uploads and ASCII conversion."""

SENDFILE_SLICE = 8 << 20
"""RETR asks sendfile(2) for this much per call, and looks at the control connection after each slice."""

STALL_TICK = 0.2
"""A data call that makes no progress for this long returns, and the control connection is looked at."""

LOCAL_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.ENOENT, errno.EISDIR, errno.EIO,
                          errno.EROFS, errno.EFBIG})
"""Errors of the server's own storage: reply 451 rather than blame the connection."""

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

TELNET_IP = b"\xff\xf4"
"""IAC IP, Telnet's "interrupt process": what a client sends before the Synch and ABOR."""

CHECK_EVERY = 4 << 20
"""Uploads look at the control connection after this many bytes (a select costs a syscall)."""

EOF_GRACE = 0.02
"""After an upload's data EOF, how long to watch for the control connection closing too.

A killed client closes both connections at once; a finished one closes only
the data connection and waits for 226. Telling them apart costs this wait.
"""


class PortAllocator:
    """The passive port pool, shared by all sessions: a port is in use from PASV until its data connection.

    A port goes back to the pool the moment its listener closes: when the data
    connection is accepted, or when the session abandons it (PASV again, ABOR,
    PORT, QUIT, a failed transfer, the end of the session).
    """

    def __init__(self, ports: range) -> None:
        self.ports = ports
        self._next = 0
        self._in_use: set[int] = set()
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return len(self._in_use)

    def listen(self, ip: str) -> socket.socket:
        """A listener on a free port of the range, round robin (NoPassivePort if every one is taken)."""
        with self._lock:  # pick and bind as one step, so two sessions never share a port
            for _ in range(len(self.ports)):
                port = self.ports[self._next % len(self.ports)]
                self._next += 1
                if port in self._in_use:
                    continue
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((ip, port))
                    sock.listen(1)
                except OSError:
                    sock.close()  # taken by something else in the container: try the next one
                    continue
                self._in_use.add(port)
                return sock
            raise NoPassivePort(len(self._in_use), len(self.ports))

    def release(self, listener: socket.socket) -> None:
        """Close a listener from `listen` and give its port back."""
        port = listener.getsockname()[1]
        listener.close()
        with self._lock:
            self._in_use.discard(port)


class DataChannel:
    """One session's data connection set-up: its passive listener, or an active connect."""

    def __init__(self, allocator: PortAllocator, local_ip: str, peer_ip: str, timeout: float,
                 stop: StopSignal | None = None) -> None:
        self.allocator = allocator
        self.local_ip = local_ip
        self.peer_ip = peer_ip
        self.timeout = timeout
        self.stop = stop or StopSignal()
        self._listener: socket.socket | None = None

    def open(self) -> int:
        self.close()
        self._listener = self.allocator.listen(self.local_ip)
        return self._listener.getsockname()[1]

    def close(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            self.allocator.release(listener)

    def connect(self, transfer: Transfer, watch: ControlWatch) -> socket.socket:
        """The data connection for `transfer`: accept (passive) or connect (active).

        Raises OSError when there is none, `Interrupted` when the client sent
        ABOR or went away meanwhile. The passive port is back in the pool on return.
        """
        if transfer.active is not None:
            return socket.create_connection(transfer.active, self.timeout, source_address=(self.local_ip, 0))
        if self._listener is None:
            raise OSError("no passive listener")
        listener = self._listener
        try:
            with self.stop.track(listener):
                listener.settimeout(STALL_TICK)
                while True:
                    try:
                        conn, peer = listener.accept()
                    except TimeoutError:
                        if error := watch.stalled():
                            raise Interrupted(error) from None
                        continue
                    watch.progress()
                    if peer[0] == self.peer_ip:
                        return conn
                    conn.close()  # someone else raced for the port (connection theft): not them
        finally:
            self.close()


class Interrupted(Exception):
    """The transfer ended before its data connection opened: ABOR, a lost client, or no connection in time."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = "no-data-connection" if error == "timed out" else error


class ControlWatch:
    """Peeks at the control connection during a transfer without consuming commands.

    Data calls block for at most `STALL_TICK` (SO_RCVTIMEO/SO_SNDTIMEO); each
    time one returns without progress, `stalled()` looks at the control
    connection, so ABOR is answered at once even when the data connection is
    stuck (a client that stops reading, or never connects), and a transfer
    without progress for `timeout` seconds ends.
    """

    def __init__(self, control: socket.socket, timeout: float, stop: StopSignal | None = None) -> None:
        self.control = control
        self.timeout = timeout
        self.stop = stop
        self._stalled_since: float | None = None

    def check(self, wait: float = 0.0) -> str:
        """"" while all is well, else "connection-lost", "aborted" or "server stopping"."""
        if self.stop is not None and self.stop.is_set():
            return "server stopping"  # the data socket was shut down: its EOF is not the end of an upload
        try:
            readable, _, _ = select.select([self.control], [], [], wait)
            if not readable:
                return ""
            data = self.control.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return ""
        except (OSError, ValueError):
            return "connection-lost"
        if not data:
            return "connection-lost"
        # A read stops at TCP's urgent mark, so the ABOR behind a Telnet Synch may be out of sight:
        # the Telnet "interrupt process" that comes first is the client's abort too (RFC 959 4.1.3).
        return "aborted" if b"ABOR" in data.upper() or TELNET_IP in data else ""

    def progress(self) -> None:
        self._stalled_since = None

    def stalled(self) -> str:
        """A data call made no progress for a tick: "" to keep waiting, else why the transfer ends."""
        if error := self.check():
            return error
        now = time.monotonic()
        if self._stalled_since is None:
            self._stalled_since = now - STALL_TICK
        return "timed out" if now - self._stalled_since >= self.timeout else ""


def run_transfer(transfer: Transfer, channel: DataChannel, control: socket.socket) -> TransferResult:
    """Open the data connection, move the bytes, close it; never raises for network trouble."""
    started = time.monotonic()
    watch = ControlWatch(control, channel.timeout, channel.stop)
    try:
        conn = channel.connect(transfer, watch)
    except Interrupted as exc:
        return TransferResult(False, 0, time.monotonic() - started, exc.error)
    except OSError:
        return TransferResult(False, 0, time.monotonic() - started, "no-data-connection")
    moved = [0]
    superseded = -1
    try:
        with conn, channel.stop.track(conn):
            kernel_timeouts(conn, channel.timeout)
            if transfer.upload:
                error, superseded = _receive_file(conn, transfer, watch, moved)
            elif transfer.verb == "RETR":
                error = _send_file(conn, transfer, watch, moved)
            else:
                error = _send_all(conn, transfer.payload, watch, moved)
    except TimeoutError:
        error = "timed out"
    except OSError as exc:  # the file system's fault (451), or the network's (426)
        error = f"local: {exc.strerror}" if exc.errno in LOCAL_ERRORS else "connection-lost"
    return TransferResult(not error, moved[0], time.monotonic() - started, error, superseded)


def kernel_timeouts(conn: socket.socket, seconds: float) -> None:
    """Blocking mode, with stalls noticed by the kernel.

    A Python socket with a timeout polls before every recv/send: one more
    syscall per chunk. A plain blocking socket with SO_RCVTIMEO/SO_SNDTIMEO
    returns EAGAIN after `STALL_TICK` without progress (then `ControlWatch`
    looks at the control connection), and TCP_USER_TIMEOUT drops a peer whose
    unacknowledged data waits longer than `seconds`: stalled peers are noticed
    for the cost of the data syscalls alone while data flows.
    """
    conn.settimeout(None)
    tick = struct.pack("ll", int(STALL_TICK), int(STALL_TICK % 1 * 1_000_000))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tick)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tick)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(seconds * 1000))


def _send_all(conn: socket.socket, data: bytes, watch: ControlWatch, moved: list[int]) -> str:
    """sendall that looks at the control connection whenever the peer stops reading."""
    view = memoryview(data)
    while view:
        try:
            sent = conn.send(view)
        except BlockingIOError:
            if error := watch.stalled():
                return error
            continue
        watch.progress()
        view = view[sent:]
        moved[0] += sent
    return ""


def _send_file(conn: socket.socket, transfer: Transfer, watch: ControlWatch, moved: list[int]) -> str:
    assert transfer.path is not None
    with open(transfer.path, "rb") as source:
        if transfer.ascii:
            source.seek(transfer.offset)
            carry = b""
            while chunk := source.read(CHUNK):
                chunk, carry = _split_cr(carry + chunk)
                if error := _send_all(conn, chunk.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), watch, moved):
                    return error
                if error := watch.check():
                    return error
            return _send_all(conn, carry, watch, moved)
        # sendfile(2): the file's pages go to the socket without entering Python.
        offset = transfer.offset
        size = os.fstat(source.fileno()).st_size
        out_fd, in_fd = conn.fileno(), source.fileno()
        next_check = offset + SENDFILE_SLICE
        while offset < size:
            try:
                sent = os.sendfile(out_fd, in_fd, offset, min(SENDFILE_SLICE, size - offset))
            except BlockingIOError:  # nothing went for a tick: the client stopped reading
                if error := watch.stalled():
                    return error
                continue
            if sent == 0:
                break  # the file shrank meanwhile
            watch.progress()
            offset += sent
            moved[0] += sent
            if offset >= next_check:
                next_check = offset + SENDFILE_SLICE
                if error := watch.check():
                    return error
    return ""


def _receive_file(conn: socket.socket, transfer: Transfer, watch: ControlWatch,
                  moved: list[int]) -> tuple[str, int]:
    """Receive into a temporary file and rename it into place: (error, fd of the replaced file or -1).

    APPE starts the temporary file with a copy of the old one, STOR after REST
    with its first `offset` bytes (a resume: the data that follows replaces
    the rest), so the old file stays whole until the new one is complete.
    """
    assert transfer.path is not None
    target: Path = transfer.path
    fd, temp = tempfile.mkstemp(prefix=UPLOAD_PREFIX, dir=target.parent)
    done = False
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            if transfer.verb == "APPE" and target.is_file():
                _copy_prefix(target, out.fileno(), None)
            elif transfer.offset:
                if _copy_prefix(target, out.fileno(), transfer.offset) < transfer.offset:
                    return "local: the file is shorter than the restart offset", -1
            if transfer.ascii:
                error = _receive_ascii(conn, out, watch, moved)
            else:
                error = _receive_spliced(conn, out.fileno(), watch, moved)
            if error:
                return error, -1
        if error := watch.check(EOF_GRACE):
            return error, -1
        os.chmod(temp, 0o644)
        superseded = _open_superseded(target)
        os.replace(temp, target)
        done = True
        return "", superseded
    finally:
        if not done:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass


def _copy_prefix(source: Path, out_fd: int, count: int | None) -> int:
    """Copy the first `count` bytes of `source` (all if None) to `out_fd`; return how many were copied."""
    copied = 0
    with open(source, "rb") as existing:
        while count is None or copied < count:
            block = existing.read(CHUNK if count is None else min(CHUNK, count - copied))
            if not block:
                break
            os.write(out_fd, block)
            copied += len(block)
    return copied


def _open_superseded(target: Path) -> int:
    """A read-only descriptor of the regular file about to be replaced, -1 if there is none."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return -1
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return -1
    return fd


def _receive_spliced(conn: socket.socket, out_fd: int, watch: ControlWatch, moved: list[int]) -> str:
    """Binary upload: socket -> pipe -> file with splice(2), the bytes never enter Python.

    The upload twin of RETR's sendfile: one copy fewer than recv + write. Falls
    back to `_receive_copy` where splice is refused (an unusual file system).
    """
    read_end, write_end = os.pipe()
    try:
        try:
            fcntl.fcntl(write_end, F_SETPIPE_SZ, CHUNK)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size: the default pipe works, with more calls
        next_check = CHECK_EVERY
        while True:
            try:
                count = os.splice(conn.fileno(), write_end, CHUNK)
            except BlockingIOError:  # nothing came for a tick
                if error := watch.stalled():
                    return error
                continue
            except OSError as exc:
                if exc.errno == errno.EINVAL and moved[0] == 0:
                    return _receive_copy(conn, out_fd, watch, moved)
                raise
            if count == 0:
                return ""
            watch.progress()
            moved[0] += count
            while count:
                count -= os.splice(read_end, out_fd, count)
            if moved[0] >= next_check:
                next_check = moved[0] + CHECK_EVERY
                if error := watch.check():
                    return error
    finally:
        os.close(read_end)
        os.close(write_end)


def _receive_into(conn: socket.socket, buffer: bytearray, watch: ControlWatch) -> int | str:
    """recv_into that waits out stalls: the byte count (0 at EOF), or why the transfer ends."""
    while True:
        try:
            count = conn.recv_into(buffer)
        except BlockingIOError:
            if error := watch.stalled():
                return error
            continue
        watch.progress()
        return count


def _receive_copy(conn: socket.socket, out_fd: int, watch: ControlWatch, moved: list[int]) -> str:
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    next_check = CHECK_EVERY
    while True:
        count = _receive_into(conn, buffer, watch)
        if isinstance(count, str) or count == 0:
            return count or ""
        moved[0] += count
        written = 0
        while written < count:
            written += os.write(out_fd, view[written:count])
        if moved[0] >= next_check:
            next_check = moved[0] + CHECK_EVERY
            if error := watch.check():
                return error


def _receive_ascii(conn: socket.socket, out, watch: ControlWatch, moved: list[int]) -> str:
    """TYPE A upload: CRLF (the network's line ending) is stored as the local LF."""
    buffer = bytearray(CHUNK)
    carry = b""
    next_check = CHECK_EVERY
    while True:
        count = _receive_into(conn, buffer, watch)
        if isinstance(count, str):
            return count
        if count == 0:
            break
        moved[0] += count
        data, carry = _split_cr(carry + bytes(buffer[:count]))
        out.write(data.replace(b"\r\n", b"\n"))
        if moved[0] >= next_check:
            next_check = moved[0] + CHECK_EVERY
            if error := watch.check():
                return error
    out.write(carry)
    return ""


def _split_cr(data: bytes) -> tuple[bytes, bytes]:
    """Hold back a trailing CR: its LF may start the next chunk."""
    if data.endswith(b"\r"):
        return data[:-1], b"\r"
    return data, b""
