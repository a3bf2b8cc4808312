"""The notes' section 4 web server as a static HTTP/1.1 file server (see server.WebServer).

`WebServer` is imported on first use (PEP 562), so importing the package for
its sans-IO parts does not load every driver and asyncio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import WebServer

__all__ = ["WebServer"]


def __getattr__(name: str) -> object:
    if name == "WebServer":
        from .server import WebServer
        return WebServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
