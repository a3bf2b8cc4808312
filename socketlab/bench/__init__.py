"""`socketlab bench`: the notes' closing chapter measured side by side.

Each suite (echo, web, ftp, chat) is a module in this package with

    def run(ctx: BenchContext) -> list[CaseResult]

and an entry in the registry `suites.SUITES`: its services, cases, targets
and the errors that are its lesson. Suites start their own load-generating
client hosts through `ctx.client_host(...)`, never load from inside a server
container, and return one `CaseResult` per (case, target, repetition).
`ctx.expect(n)` announces n `ctx.progress(...)` steps for the progress bar.
Echo-like load comes from `loadgen-c` on client hosts
(clients/loadgen-c/loadgen.c); `socketlab.bench.load.LoadHosts` runs it and
merges hosts.
"""

from __future__ import annotations

from .model import BenchContext, CaseResult

SUITES: dict[str, str] = {"echo": "echo", "chat": "chat", "ftp": "ftp", "web": "web"}
"""Suite name -> module name in this package (imported lazily); `suites.SUITES` describes each."""

__all__ = ["SUITES", "BenchContext", "CaseResult"]
