"""The notes' section 4 web server as a static HTTP/1.1 file server (see server.WebServer)."""

from .server import WebServer

__all__ = ["WebServer"]
