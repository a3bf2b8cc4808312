"""The Hypothesis profiles every property test runs under: one place, one budget for all parsers.

* ``ci`` (the default, part of ``make test``): a few hundred examples per
  property. Every parser's properties together must stay under a minute on
  the 2-core CI machine, so each parser's share is kept near 20 s.
* ``thorough`` (``HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/unit -k properties``):
  at least 10,000 examples per property, for a scheduled or hand run.

Deadlines are off in both: the machine is shared, and a slow example is not
a wrong one. Failures print the blob that reproduces them (``@reproduce_failure``).
Add strategies next to each parser's tests; register nothing here but profiles.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 200
THOROUGH_EXAMPLES = 10_000

_COMMON = {"deadline": None, "print_blob": True, "suppress_health_check": [HealthCheck.too_slow]}

settings.register_profile("ci", max_examples=CI_EXAMPLES, **_COMMON)
settings.register_profile("thorough", max_examples=THOROUGH_EXAMPLES, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
