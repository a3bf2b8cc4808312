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

from .jail import UPLOAD_PREFIX
from .session import Transfer, TransferResult

CHUNK = 1 << 20
"""Receive buffer for uploads and ASCII conversion."""

SENDFILE_SLICE = 8 << 20
"""RETR sends this much per socket.sendfile call, then looks at the control connection."""

LOCAL_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.ENOENT, errno.EISDIR, errno.EIO,
                          errno.EROFS, errno.EFBIG})
"""Errors of the server's own storage: reply 451 rather than blame the connection."""

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

CHECK_EVERY = 4 << 20
"""Uploads look at the control connection after this many bytes (a select costs a syscall)."""

EOF_GRACE = 0.02
"""After an upload's data EOF, how long to watch for the control connection closing too.

A killed client closes both connections at once; a finished one closes only
the data connection and waits for 226. Telling them apart costs this wait.
"""


class PortAllocator:
    """Hands out passive ports from the configured range, round robin, across all sessions."""

    def __init__(self, ports: range) -> None:
        self.ports = ports
        self._next = 0
        self._lock = threading.Lock()

    def listen(self, ip: str) -> socket.socket:
        with self._lock:  # bind+listen as one step, so two sessions never share a port
            for _ in range(len(self.ports)):
                port = self.ports[self._next % len(self.ports)]
                self._next += 1
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((ip, port))
                    sock.listen(1)
                    return sock
                except OSError:
                    sock.close()
        raise OSError(errno.EADDRINUSE, f"all {len(self.ports)} passive ports are busy")


class DataChannel:
    """One session's data connection set-up: its passive listener, or an active connect."""

    def __init__(self, allocator: PortAllocator, local_ip: str, peer_ip: str, timeout: float) -> None:
        self.allocator = allocator
        self.local_ip = local_ip
        self.peer_ip = peer_ip
        self.timeout = timeout
        self._listener: socket.socket | None = None

    def open(self) -> int:
        self.close()
        self._listener = self.allocator.listen(self.local_ip)
        return self._listener.getsockname()[1]

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def connect(self, transfer: Transfer) -> socket.socket:
        """The data connection for `transfer`: accept (passive) or connect (active)."""
        if transfer.active is not None:
            return socket.create_connection(transfer.active, self.timeout, source_address=(self.local_ip, 0))
        if self._listener is None:
            raise OSError("no passive listener")
        listener, self._listener = self._listener, None
        with listener:
            listener.settimeout(self.timeout)
            deadline = time.monotonic() + self.timeout
            while True:
                conn, peer = listener.accept()
                if peer[0] == self.peer_ip:
                    return conn
                conn.close()  # someone else raced for the port (connection theft): not them
                if time.monotonic() > deadline:
                    raise TimeoutError("no data connection from the client")


class ControlWatch:
    """Peeks at the control connection during a transfer without consuming commands."""

    def __init__(self, control: socket.socket) -> None:
        self.control = control

    def check(self, wait: float = 0.0) -> str:
        """"" while all is well, else "connection-lost" or "aborted"."""
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
        return "aborted" if b"ABOR" in data.upper() else ""


def run_transfer(transfer: Transfer, channel: DataChannel, control: socket.socket) -> TransferResult:
    """Open the data connection, move the bytes, close it; never raises for network trouble."""
    started = time.monotonic()
    try:
        conn = channel.connect(transfer)
    except OSError:
        channel.close()
        return TransferResult(False, 0, time.monotonic() - started, "no-data-connection")
    watch = ControlWatch(control)
    moved = [0]
    superseded = -1
    try:
        with conn:
            kernel_timeouts(conn, channel.timeout)
            if transfer.upload:
                error, superseded = _receive_file(conn, transfer, watch, moved)
            elif transfer.verb == "RETR":
                error = _send_file(conn, transfer, watch, moved)
            else:
                conn.sendall(transfer.payload)
                moved[0] = len(transfer.payload)
                error = ""
    except (TimeoutError, BlockingIOError):  # BlockingIOError: SO_RCVTIMEO/SO_SNDTIMEO expired
        error = "timed out"
    except OSError as exc:  # the file system's fault (451), or the network's (426)
        error = f"local: {exc.strerror}" if exc.errno in LOCAL_ERRORS else "connection-lost"
    return TransferResult(not error, moved[0], time.monotonic() - started, error, superseded)


def kernel_timeouts(conn: socket.socket, seconds: float) -> None:
    """Blocking mode, with the stall timeout enforced by the kernel.

    A Python socket with a timeout polls before every recv/send: one more
    syscall per chunk. A plain blocking socket with SO_RCVTIMEO/SO_SNDTIMEO
    (EAGAIN after `seconds` without progress) and TCP_USER_TIMEOUT (unacked
    data, e.g. a peer whose window stays closed) guards against stalled peers
    just as well, for the cost of the data syscalls alone.
    """
    conn.settimeout(None)
    interval = struct.pack("ll", int(seconds), int(seconds % 1 * 1_000_000))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, interval)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, interval)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(seconds * 1000))


def _send_file(conn: socket.socket, transfer: Transfer, watch: ControlWatch, moved: list[int]) -> str:
    assert transfer.path is not None
    with open(transfer.path, "rb") as source:
        if transfer.ascii:
            source.seek(transfer.offset)
            carry = b""
            while chunk := source.read(CHUNK):
                chunk, carry = _split_cr(carry + chunk)
                data = chunk.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                conn.sendall(data)
                moved[0] += len(data)
                if error := watch.check():
                    return error
            conn.sendall(carry)
            moved[0] += len(carry)
            return ""
        offset = transfer.offset
        size = os.fstat(source.fileno()).st_size
        while offset < size:
            sent = conn.sendfile(source, offset, SENDFILE_SLICE)
            if sent == 0:
                break  # the file shrank meanwhile
            offset += sent
            moved[0] += sent
            if error := watch.check():
                return error
    return ""


def _receive_file(conn: socket.socket, transfer: Transfer, watch: ControlWatch,
                  moved: list[int]) -> tuple[str, int]:
    """Receive into a temporary file and rename it into place: (error, fd of the replaced file or -1)."""
    assert transfer.path is not None
    target: Path = transfer.path
    fd, temp = tempfile.mkstemp(prefix=UPLOAD_PREFIX, dir=target.parent)
    done = False
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            if transfer.verb == "APPE" and target.is_file():
                with open(target, "rb") as existing:
                    while block := existing.read(CHUNK):
                        out.write(block)
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
            except OSError as exc:
                if exc.errno == errno.EINVAL and moved[0] == 0:
                    return _receive_copy(conn, out_fd, watch, moved)
                raise
            if count == 0:
                return ""
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


def _receive_copy(conn: socket.socket, out_fd: int, watch: ControlWatch, moved: list[int]) -> str:
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    next_check = CHECK_EVERY
    while count := conn.recv_into(buffer):
        moved[0] += count
        written = 0
        while written < count:
            written += os.write(out_fd, view[written:count])
        if moved[0] >= next_check:
            next_check = moved[0] + CHECK_EVERY
            if error := watch.check():
                return error
    return ""


def _receive_ascii(conn: socket.socket, out, watch: ControlWatch, moved: list[int]) -> str:
    """TYPE A upload: CRLF (the network's line ending) is stored as the local LF."""
    buffer = bytearray(CHUNK)
    carry = b""
    next_check = CHECK_EVERY
    while count := conn.recv_into(buffer):
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
