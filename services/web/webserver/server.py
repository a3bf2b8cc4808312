"""The notes' `WebServer` class (section 4.2), kept as its public face.

Usage is the notes' own: ``WebServer(host="0.0.0.0", port=8000, html="./static").start()``.
What changed inside: the hand-written select() loop is the shared select
driver (it handles partial sends, back-pressure and timeouts the notes' loop
ignores), the regex on the first 10 KiB is a real HTTP/1.1 parser, and the
whole-file `read()` + single `send()` became a streamed response. The model
is a keyword argument, so the same class also runs on poll, epoll or threads.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener

from models import get_driver

from .files import Site
from .handler import Handler, Lingering, Timeouts
from .request import Limits
from .responses import AccessLog
from .session import HttpSession

LOG_FLUSH_INTERVAL = 0.25
"""Seconds between access-log flushes (lines are buffered to spare a write per request)."""

log = logging.getLogger("webserver")


class WebServer:
    """A static HTTP/1.1 server for the directory `html`, on one concurrency model (select by default)."""

    def __init__(self, host: str = "0.0.0.0", port: int = 80, html: str | None = None, *,
                 model: str = "select", listing: bool = False, limits: Limits | None = None,
                 timeouts: Timeouts | None = None, lingering: Lingering | None = None,
                 access_log: TextIO | None = sys.stdout) -> None:
        self.host = host
        self.port = port
        self.html = html or "./static"
        self.model = model
        self._driver = get_driver(model)
        self._access_log = AccessLog(access_log)
        self.handler = Handler(Site(self.html, listing=listing), limits=limits, timeouts=timeouts,
                               lingering=lingering, access_log=self._access_log)
        self._stop = StopSignal()
        self.create_socket()
        self.bind()

    def create_socket(self) -> None:
        """Kept from the notes' shape; the listener itself is made in `bind` (SO_REUSEADDR first)."""
        self.sock = None

    def bind(self) -> None:
        self.sock = tcp_listener(self.host, self.port)
        self.address = self.sock.getsockname()
        self.port = self.address[1]

    def start(self) -> None:
        """Serve until `stop()` (or SIGTERM/SIGINT when started from the main thread)."""
        if threading.current_thread() is threading.main_thread():
            self._stop.install_signal_handlers()
        log.info("Listen the port %d (%s model, root %s)", self.port, self.model, self.handler.site.root)
        flusher = threading.Thread(target=self._flush_logs, name="access-log", daemon=True)
        flusher.start()
        try:
            with self.sock:
                self._driver(self.sock, self._new_session, self._stop)
        finally:
            self._stop.set()
            flusher.join(2)
            self._access_log.flush()
            self._stop.close()
            log.info("stopped")

    def stop(self) -> None:
        """Ask a running `start()` to return (safe from other threads and signal handlers)."""
        self._stop.set()

    def close(self) -> None:
        """Release the listener of a server that was never started."""
        self.sock.close()
        self._stop.close()

    def _new_session(self, peer: tuple) -> HttpSession:
        return HttpSession(peer, self.handler)

    def _flush_logs(self) -> None:
        while not self._stop.wait(LOG_FLUSH_INTERVAL):
            self._access_log.flush()
