"""What the notes' interactive clients share: `HOST [PORT] [--wait S]` and the `>>` prompt loop.

The notes' clients read a line, send it, print the answer, and stop on an
empty line; with stdin not a terminal (a script, a test) there is no prompt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import NoReturn


def parse_target(prog: str, description: str, argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("host")
    parser.add_argument("port", type=int, nargs="?", default=8888)
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to wait for a reply")
    return parser.parse_args(argv)


def typed_lines() -> Iterator[str]:
    """The lines the user types, until an empty line or the end of input."""
    prompt = ">>" if sys.stdin.isatty() else ""
    while True:
        try:
            msg = input(prompt)
        except EOFError:
            return
        if not msg:
            return
        yield msg


def exit_with(main: Callable[[], int]) -> NoReturn:
    """Run a client's main and exit with its status; Ctrl-C ends it as a shell expects (130), never a traceback."""
    try:
        code = main()
    except KeyboardInterrupt:
        print(file=sys.stderr)  # finish the line the prompt (or ^C) was on
        code = 130
    sys.exit(code)
