"""`socketlab bench`: the notes' closing chapter measured side by side.

Each suite (echo, web, ftp, chat) is a module in this package with

    def run(ctx: BenchContext) -> list[CaseResult]

registered in `SUITES`. Suites start their own load-generating client hosts
through `ctx.client_host(...)`, never load from inside a server container,
and return one `CaseResult` per (case, target, repetition).

Optional module attributes the CLI and the smoke test use:
`SERVICES` (list of compose services the suite needs; without it the CLI
starts the whole stack) and `errors_expected(result) -> bool` (errors that
are the lesson, e.g. the iterative server leaving clients waiting; every
other result of the CI smoke run must have zero errors).
`ctx.expect(n)` announces n `ctx.progress(...)` steps for the progress bar.
Load generator for echo-like load: `loadgen` on a client host
(clients/socketlab_clients/loadgen.py); `socketlab.bench.load.LoadHosts`
runs it and merges hosts.
"""

from __future__ import annotations

from .model import BenchContext, CaseResult

SUITES: dict[str, str] = {"echo": "echo", "chat": "chat", "ftp": "ftp", "web": "web"}
"""Suite name -> module name in this package (imported lazily)."""

__all__ = ["SUITES", "BenchContext", "CaseResult"]
