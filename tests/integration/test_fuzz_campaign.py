"""The fault campaign's reduced form (`socketlab fuzz --quick`) against the test stack.

A hundred mutated inputs per service from client hosts, then one network
disconnect, one ``kill -9`` and one ftp container restart, each in the middle
of an upload; every check of the summary must pass: no partial file appears,
every service serves a normal client again, nothing restarted on its own,
descriptors and memory stay within their bounds.
"""

from __future__ import annotations

import os

from socketlab.campaign import Campaign
from socketlab.fuzz import DEFAULT_SERVICES

from .lab import ComposeLab

# Read when the session's stack starts: a cut data connection is given up after 6 s here (30 s by default).
os.environ.setdefault("SOCKETLAB_FTP_DATA_TIMEOUT", "6")

CI_COUNT = 100
"""Mutated inputs per service here: enough to cross every parser path a few times; the opt-in
campaign (`socketlab fuzz`) sends 10,000."""


def test_the_reduced_campaign_leaves_no_partial_file_and_every_service_recovers(lab: ComposeLab) -> None:
    services = [s for s in DEFAULT_SERVICES if lab.has_service(s)]
    campaign = Campaign(lab, count=CI_COUNT, seconds=30, quick=True, seed=7)
    rows = campaign.run(services)
    failed = [row for row in rows if not row.ok]
    timings = ", ".join(f"{r.step} {r.target} {r.seconds:.0f}s" for r in rows)
    assert not failed, "\n".join(f"{r.step} {r.target}: {r.detail}" for r in failed) + "\n" + timings
    steps = {(row.step, row.target) for row in rows}
    assert {("fault", "network disconnect mid-STOR"), ("fault", "kill -9 mid-STOR"),
            ("fault", "restart ftp mid-STOR"), ("check", "ftp library")} <= steps
    assert {("fuzz", s) for s in services} <= steps
