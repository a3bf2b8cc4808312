"""The FTP server on the thread-per-connection model: admit, then run one session per thread.

This is the notes' multi-thread model (3.1.2) with blocking sockets, run by
the lab's own thread driver (`models/threaded.py`: accept, one thread per
connection, every thread joined on stop). What FTP adds is the work of one
connection: admission (limits per address and in total), the control loop,
and the transfers. Each thread owns a control connection and, during
transfers, its data connection too, so a slow transfer only ever blocks its
own client.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections import Counter

from socketlab_common.interfaces import ipv4_interfaces
from socketlab_common.lifecycle import StopSignal

from models import threaded

from .config import FtpConfig
from .jail import Jail
from .session import FtpSession
from .throttle import LoginThrottle
from .transfer import DataChannel, PortAllocator, run_transfer
from .wire import reply

log = logging.getLogger("ftp.server")

RECV_SIZE = 4096


class ConnectionLimits:
    """Counts control connections in total and per client address."""

    def __init__(self, total: int, per_ip: int) -> None:
        self.total, self.per_ip = total, per_ip
        self._count = 0
        self._by_ip: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, ip: str) -> str:
        """"" if admitted (call `release` later), else the reason for refusing."""
        with self._lock:
            if self._count >= self.total:
                return f"Too many connections ({self.total}), try again later."
            if self._by_ip[ip] >= self.per_ip:
                return f"Too many connections from your address ({self.per_ip})."
            self._count += 1
            self._by_ip[ip] += 1
            return ""

    def release(self, ip: str) -> None:
        with self._lock:
            self._count -= 1
            self._by_ip[ip] -= 1
            if self._by_ip[ip] <= 0:
                del self._by_ip[ip]


def default_gateway() -> str | None:
    """The IPv4 default gateway from /proc/net/route: the peer address of published-port clients."""
    try:
        with open("/proc/net/route", encoding="ascii") as routes:
            for line in list(routes)[1:]:
                fields = line.split()
                if len(fields) > 2 and fields[1] == "00000000":
                    return socket.inet_ntoa(int(fields[2], 16).to_bytes(4, "little"))
    except OSError:
        pass
    return None


class FtpServer:
    def __init__(self, config: FtpConfig, stop: StopSignal) -> None:
        self.config = config
        self.stop = stop
        self.jail = Jail(config.root)
        self.ports = PortAllocator(config.pasv_ports)
        self.limits = ConnectionLimits(config.max_connections, config.max_per_ip)
        self.throttle = LoginThrottle(config.login_delay)
        self.gateway = default_gateway()
        self.interfaces = ipv4_interfaces()

    def advertised_ip(self, local_ip: str, peer_ip: str) -> str:
        """What PASV tells this client to connect to.

        Normally the address the client itself reached us on (the control
        socket's local address). A client coming through the published host
        port arrives from the docker gateway and cannot reach that address by
        the same path, so it gets the configured host-side address instead.
        """
        if self.config.pasv_address_host and (peer_ip == self.gateway or not self._on_my_networks(peer_ip)):
            return self.config.pasv_address_host
        return local_ip

    def _on_my_networks(self, peer_ip: str) -> bool:
        """Is the peer on one of this host's own networks? A student's machine in class mode is not:
        its connection was forwarded to a published port (DNAT keeps its own address as the peer)."""
        try:
            peer = ipaddress.IPv4Address(peer_ip)
        except ValueError:
            return True
        return peer.is_loopback or any(peer in iface.interface.network for iface in self.interfaces)

    def serve(self, listener: socket.socket) -> None:
        """Serve until `stop` is set; returns once every session thread has ended."""
        threaded.serve(listener, None, self.stop, connection=self._connection, refuse=_busy)

    def _connection(self, sock: socket.socket, peer: tuple) -> None:
        """One client, in its own thread: admit it, run its session, account for its leaving."""
        refusal = self.limits.acquire(peer[0])
        if refusal:
            log.warning("%s:%d refused: %s", peer[0], peer[1], refusal)
            _refuse(sock, refusal)
            return
        try:
            with sock, self.stop.track(sock):
                self._serve_session(sock, peer)
        except OSError:
            pass  # reset or shut down by stop: this client's flow just ends
        except Exception:  # a bug costs this client only
            log.exception("session for %s failed", peer)
        finally:
            self.limits.release(peer[0])
            log.debug("%s:%d disconnected", peer[0], peer[1])

    def _serve_session(self, sock: socket.socket, peer: tuple) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)  # ABOR's urgent byte stays in the line
        # (TCP_NODELAY is already set: accept_blocking gives it to every accepted connection.)
        local_ip = sock.getsockname()[0]
        channel = DataChannel(self.ports, local_ip, peer[0], self.config.data_timeout, self.stop)
        session = FtpSession(self.config, self.jail, peer, self.advertised_ip(local_ip, peer[0]), channel,
                             throttle=self.throttle)
        log.debug("%s:%d connected to %s", peer[0], peer[1], local_ip)
        try:
            self._flush(sock, session)
            while not session.closing:
                deadline = session.deadline()
                sock.settimeout(None if deadline is None else max(deadline - time.monotonic(), 0.001))
                try:
                    data = sock.recv(RECV_SIZE)
                except TimeoutError:
                    session.timed_out()
                    self._flush(sock, session)
                    break
                session.receive(data)
                self._flush(sock, session)
                while (transfer := session.take_transfer()) is not None:
                    result = run_transfer(transfer, channel, sock)
                    session.transfer_done(result)
                    try:
                        self._flush(sock, session)
                    finally:
                        result.release()
        finally:
            channel.close()

    def _flush(self, sock: socket.socket, session: FtpSession) -> None:
        """Send what the session has to say, after the pause it asks for (a failed login's delay).

        The pause is this thread's own wait: no lock is held, other sessions go on.
        """
        while (wait := session.pause()) is not None:
            self.stop.wait(wait)
            session.resume()
        sock.settimeout(30)
        while out := session.outgoing():
            sock.sendall(out)


def _busy(sock: socket.socket, _peer: tuple) -> None:
    _refuse(sock, "Server busy.")


def _refuse(sock: socket.socket, reason: str) -> None:
    with sock:
        try:
            sock.settimeout(2)
            sock.sendall(reply(421, reason))
        except OSError:
            pass
