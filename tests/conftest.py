"""Shared by every test directory: the Hypothesis profiles (ci by default, HYPOTHESIS_PROFILE=thorough)."""

from . import hypothesis_profiles  # noqa: F401  (registers and loads the profile on import)
