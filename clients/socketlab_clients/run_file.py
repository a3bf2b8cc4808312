"""Run a learner's Python file as `python3 FILE ARGS` would, but end quietly on Ctrl-C.

`socketlab run FILE.py` starts this on a fresh client host
(`python3 -m socketlab_clients.run_file FILE.py ARGS...`). The file runs as
`__main__` with its own folder first on sys.path and `sys.argv` as if
started directly. The first Ctrl-C raises KeyboardInterrupt in the program
(so its `finally:` blocks and `with` statements close its sockets), then the
program ends with status 130 and no traceback; further Ctrl-Cs are ignored
while it stops, and a child process it forked simply ends. Any other error
prints the usual traceback, without this wrapper's own frames.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import traceback

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a program ended by Ctrl-C


def _install_interrupt_handler(main_pid: int) -> None:
    def interrupted(_signum, _frame) -> None:
        if os.getpid() != main_pid:  # a forked child: end now, the parent reports
            os._exit(INTERRUPTED)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # one KeyboardInterrupt, however many Ctrl-Cs
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)


def _print_error(exc: BaseException) -> None:
    """The program's traceback from its own first frame (runpy and this file left out)."""
    tb = exc.__traceback__
    wrapper = (__file__, runpy.__file__, "<frozen runpy>")
    while tb is not None and tb.tb_frame.f_code.co_filename in wrapper:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def _quit(code: int) -> None:
    """Leave now, after Ctrl-C: threads the program left running must not hold the host open."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _banner(path: str) -> None:
    """One line on stderr: which host this is, so the other terminal knows where to connect."""
    import socket

    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        address = "?"
    print(f"── {os.path.basename(path)} @ {name} {address} · Ctrl-C 停止 stop ──", file=sys.stderr, flush=True)


def main(argv: list[str]) -> None:
    if not argv:
        print("usage: python3 -m socketlab_clients.run_file FILE.py [ARGS...]", file=sys.stderr)
        sys.exit(2)
    path = argv[0]
    if not os.path.isfile(path):
        print(f"没有这个文件 / no such file: {path}", file=sys.stderr)
        sys.exit(2)
    if os.environ.pop("SOCKETLAB_RUN_BANNER", ""):
        _banner(path)
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    _install_interrupt_handler(os.getpid())
    code: int | str | None = 0
    try:
        runpy.run_path(path, run_name="__main__")
    except KeyboardInterrupt:
        print(file=sys.stderr)  # the ^C the terminal echoed stays on its own line
        _quit(INTERRUPTED)
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:
        _print_error(exc)
        code = 1
    # The program's code is done; Python now waits for its threads and child processes
    # as usual. A Ctrl-C during that wait ends everything at once, with nothing to unwind.
    signal.signal(signal.SIGINT, lambda _signum, _frame: _quit(INTERRUPTED))
    sys.exit(code)

if __name__ == "__main__":
    main(sys.argv[1:])
