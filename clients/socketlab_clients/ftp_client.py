"""The notes' FTP client (3.1.2), on ftplib: prompts that guide the user.

    $ ftp-client ftp                       # interactive: list, get NAME, put PATH, cd DIR, help, quit
    $ ftp-client ftp list                  # non-interactive, for scripts
    $ ftp-client ftp get README.txt -o /tmp/r.txt
    $ ftp-client ftp put ./notes.md --user student --password socketlab

Anonymous login unless --user (or FTP_USER/FTP_PASSWORD) is given. Transfers
show a text progress bar on stderr. Errors are one clear line: a missing
file, a refused login, a lost connection; the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import ftplib
import os
import shlex
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .interactive import exit_with

BLOCK = 256 * 1024
BAR_WIDTH = 30

HELP = """commands:
  list [DIR]      show the files in the server's library
  get NAME [DEST] download NAME (to DEST, default: same name here)
  put PATH [NAME] upload the local file PATH (as NAME)
  cd DIR          change directory on the server
  pwd             show the current directory on the server
  help            this text
  quit            leave"""


class ClientError(Exception):
    """A failure explained in one line for the user."""


class Progress:
    """A stdlib-only text progress bar: [#######.......]  45%  1.2/2.7 MiB  8.1 MiB/s."""

    def __init__(self, label: str, total: int | None, stream=sys.stderr, enabled: bool = True) -> None:
        self.label, self.total, self.stream, self.enabled = label, total, stream, enabled
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0

    def update(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last_draw >= 0.1:
            self._last_draw = now
            self._draw(now)

    def finish(self) -> None:
        self._draw(time.monotonic())
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, now: float) -> None:
        if not self.enabled:
            return
        rate = self.done / max(now - self.started, 1e-6) / 2**20
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            filled = int(fraction * BAR_WIDTH)
            bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%}"
            amount = f"{self.done / 2**20:.1f}/{self.total / 2**20:.1f} MiB"
        else:
            bar, amount = "[" + "?" * BAR_WIDTH + "]", f"{self.done / 2**20:.1f} MiB"
        self.stream.write(f"\r{self.label[:24]:<24} {bar} {amount} {rate:.1f} MiB/s ")
        self.stream.flush()


class FtpClient:
    def __init__(self, host: str, port: int, user: str, password: str, passive: bool = True,
                 progress: bool = True, timeout: float = 30.0) -> None:
        self.host, self.port, self.progress = host, port, progress
        self.ftp = ftplib.FTP(timeout=timeout)
        try:
            self.ftp.connect(host, port)
        except OSError as exc:
            raise ClientError(f"cannot connect to {host}:{port}: {exc}") from exc
        try:
            self.ftp.login(user, password)
        except ftplib.error_perm as exc:
            self.ftp.close()
            raise ClientError(f"login refused for {user!r}: {exc}") from exc
        self.ftp.set_pasv(passive)
        self.welcome = self.ftp.getwelcome()

    def close(self) -> None:
        try:
            self.ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            self.ftp.close()

    def list(self, directory: str = "") -> list[str]:
        lines: list[str] = []
        self.ftp.retrlines(f"LIST {directory}".rstrip(), lines.append)
        return lines

    def cd(self, directory: str) -> str:
        self.ftp.cwd(directory)
        return self.ftp.pwd()

    def get(self, name: str, dest: str | None = None) -> tuple[Path, int]:
        target = Path(dest or Path(name).name)
        if target.is_dir():
            target = target / Path(name).name
        try:
            size = self.ftp.size(name)
        except ftplib.error_perm as exc:
            raise ClientError(f"no such file on the server: {name} ({exc})") from exc
        bar = Progress(f"get {name}", size, enabled=self.progress)
        partial = target.with_name(target.name + ".part")
        with open(partial, "wb") as out:
            def write(block: bytes) -> None:
                out.write(block)
                bar.update(len(block))
            try:
                self.ftp.retrbinary(f"RETR {name}", write, BLOCK)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        bar.finish()
        partial.replace(target)
        return target, bar.done

    def put(self, path: str, name: str | None = None) -> tuple[str, int]:
        source = Path(path)
        if not source.is_file():
            raise ClientError(f"no such local file: {path}")
        remote = name or source.name
        bar = Progress(f"put {remote}", source.stat().st_size, enabled=self.progress)
        with open(source, "rb") as data:
            self.ftp.storbinary(f"STOR {remote}", data, BLOCK, callback=lambda block: bar.update(len(block)))
        bar.finish()
        return remote, bar.done


def _explain(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc)
    if isinstance(exc, ftplib.error_perm):
        code = str(exc)[:3]
        if code == "530":
            return f"not allowed (log in first?): {exc}"
        if code in ("550", "553") and "anonymous" in str(exc):
            return (f"refused by the server: {exc} (anonymous may only download; to upload, log in as a user: "
                    "--user student --password socketlab)")
        if code in ("550", "553"):
            return f"refused by the server: {exc}"
        return f"server error: {exc}"
    if isinstance(exc, ftplib.Error):
        return f"server error: {exc}"
    if isinstance(exc, (EOFError, ConnectionError, socket.timeout, TimeoutError)):
        return f"lost the connection to the server ({exc.__class__.__name__}: {exc})"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    return str(exc)


def run_command(client: FtpClient, words: list[str], say: Callable[[str], None]) -> bool:
    """Run one command; False means quit."""
    verb, args = words[0].lower(), words[1:]
    if verb in ("quit", "exit", "bye", "q"):
        return False
    if verb in ("help", "?"):
        say(HELP)
    elif verb in ("list", "ls", "dir"):
        for line in client.list(args[0] if args else ""):
            say(line)
    elif verb == "cd" and len(args) == 1:
        say(f"now in {client.cd(args[0])}")
    elif verb == "pwd":
        say(client.ftp.pwd())
    elif verb == "get" and 1 <= len(args) <= 2:
        target, count = client.get(*args)
        say(f"downloaded {args[0]} -> {target} ({count} bytes)")
    elif verb == "put" and 1 <= len(args) <= 2:
        remote, count = client.put(*args)
        say(f"uploaded {args[0]} -> {remote} ({count} bytes)")
    else:
        say(f"unknown command or wrong arguments: {' '.join(words)} (type help)")
    return True


def interactive(client: FtpClient) -> int:
    tty = sys.stdin.isatty()
    print(client.welcome)
    print("type help for the commands; quit to leave")
    while True:
        try:
            line = input("ftp> " if tty else "")
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            break
        try:
            words = shlex.split(line)
        except ValueError as exc:
            print(f"cannot parse: {exc}")
            continue
        if not words:
            continue
        try:
            if not run_command(client, words, print):
                break
        except (ftplib.Error, OSError, EOFError, ClientError) as exc:
            print(f"error: {_explain(exc)}", file=sys.stderr)
            if isinstance(exc, (EOFError, ConnectionError, TimeoutError)):
                return 1
    client.close()
    print("bye")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ftp-client", description="the notes' FTP client (3.1.2), on ftplib")
    parser.add_argument("host")
    parser.add_argument("command", nargs="?", choices=["list", "get", "put"], help="run one command and exit")
    parser.add_argument("args", nargs="*", help="NAME for get, PATH for put, DIR for list")
    parser.add_argument("--port", type=int, default=21)
    parser.add_argument("--user", default=os.environ.get("FTP_USER", "anonymous"))
    parser.add_argument("--password", default=os.environ.get("FTP_PASSWORD", "guest@socketlab"))
    parser.add_argument("-o", "--output", help="where get stores the file")
    parser.add_argument("--as", dest="remote_name", help="remote name for put")
    parser.add_argument("--active", action="store_true", help="active mode (PORT) instead of passive")
    parser.add_argument("--cd", help="change to this directory first")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_intermixed_args(argv)
    progress = not args.no_progress and (sys.stderr.isatty() or args.command is None)
    try:
        client = FtpClient(args.host, args.port, args.user, args.password, not args.active, progress)
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        if args.cd:
            client.cd(args.cd)
        if args.command is None:
            return interactive(client)
        if args.command in ("get", "put") and len(args.args) != 1:
            parser.error(f"{args.command} needs exactly one argument")
        words = [args.command, *args.args]
        if args.command == "get" and args.output:
            words.append(args.output)
        if args.command == "put" and args.remote_name:
            words.append(args.remote_name)
        run_command(client, words, print)
        client.close()
        return 0
    except (ftplib.Error, OSError, EOFError, ClientError) as exc:
        print(f"error: {_explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    exit_with(main)
