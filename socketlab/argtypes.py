"""Arguments checked as they are read, so a bad one is one line saying what is valid (never a traceback)."""

from __future__ import annotations

import argparse

from .errors import UsageError


class LabArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad argument raises UsageError: the CLI prints one line, not the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def positive_seconds(text: str) -> float:
    """A duration above zero: ``2``, ``0.5``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 2 or 0.5)") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} seconds: give a number above 0 (e.g. 2 or 0.5)")
    return value


def positive_int(text: str) -> int:
    """A count of one or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (e.g. 20)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: give a whole number of 1 or more (e.g. 20)")
    return value
