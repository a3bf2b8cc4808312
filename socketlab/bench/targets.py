"""Every suite's targets, as its issue states them, for the suites a set of results holds.

Each suite computes its own (`echo_targets` in report.py, `web_targets`,
`ftp_targets`, `chat_targets` beside their runners); this module only gathers
them, each row tagged with its suite, so the terminal, results.json and
BENCHMARKS.md show one list and never a suite that did not run.
"""

from __future__ import annotations

from . import chat, ftp, web
from .model import CaseResult
from .report import echo_targets, summary_rows


def all_targets(results: list[CaseResult]) -> list[dict]:
    suites = {r.suite for r in results}
    found: list[dict] = []
    if "echo" in suites:
        found += [{"suite": "echo", **t} for t in echo_targets(summary_rows(results))]
    if "web" in suites:
        found += [{"suite": "web", **t} for t in web.web_targets(results)]
    if "ftp" in suites:
        found += [{"suite": "ftp", **t} for t in ftp.ftp_targets(results)]
    if "chat" in suites:
        found += [{"suite": "chat", **t} for t in chat.chat_targets(results)]
    return found
