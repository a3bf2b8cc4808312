"""`socketlab bench`: the notes' closing chapter measured side by side.

Each suite (echo, web, ftp, chat) is a module in this package with

    def run(ctx: BenchContext) -> list[CaseResult]

registered in `SUITES`. Suites start their own load-generating client hosts
through `ctx.client_host(...)`, never load from inside a server container,
and return one `CaseResult` per (case, target, repetition).
"""

from __future__ import annotations

from .model import BenchContext, CaseResult

SUITES: dict[str, str] = {"chat": "chat"}
"""Suite name -> module name in this package (imported lazily)."""

__all__ = ["SUITES", "BenchContext", "CaseResult"]
