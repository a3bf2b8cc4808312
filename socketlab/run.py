"""`socketlab run FILE.py [ARGS...] [--ip IP] [--network public|private] [--name NAME]`.

Runs your own program on a fresh client host of the lab, as the notes run
theirs on two machines:

    socketlab run tcp_server.py --ip 10.77.1.60      # terminal 1: a host at .60
    socketlab run tcp_client.py 10.77.1.60           # terminal 2: another host

The current folder is mounted read-write at /work, the working directory,
so a file the program writes lands in your folder, owned by you (the
program runs with your uid). Output streams live; Ctrl-C stops the program
(KeyboardInterrupt in it, then exit status 130, no traceback) and the host
is removed. `--name server` makes the host reachable as `server` from the
other hosts of the lab. Options for socketlab may come before or after the
file; after `--` everything goes to the program.

The same with plain compose (no fixed IP; `--name` gives a DNS name):
    docker compose run --rm -v "$PWD:/work" -w /work --name srv client python3 tcp_server.py
    docker compose run --rm -v "$PWD:/work" -w /work client python3 tcp_client.py srv
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import UsageError
from .lab import Lab
from .settings import LabSettings

RUNNER = ["python3", "-m", "socketlab_clients.run_file"]
OWN_OPTIONS = ("--ip", "--network", "--name")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


@dataclass
class RunRequest:
    file: str
    args: list[str]
    ip: str | None = None
    network: str = "public"
    name: str | None = None


def split_run_args(argv: list[str]) -> RunRequest:
    """socketlab's own options (anywhere before `--`), the file, and the program's arguments."""
    own: dict[str, str] = {}
    rest: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--":
            rest += list(items)
            break
        option, eq, value = item.partition("=")
        if option in OWN_OPTIONS:
            if not eq:
                value = next(items, None)
                if value is None:
                    raise UsageError(f"{option} needs a value")
            own[option[2:]] = value
        else:
            rest.append(item)
    if not rest:
        raise UsageError("which file? e.g. socketlab run tcp_server.py --ip 10.77.1.60")
    network = own.get("network", "public")
    if network not in ("public", "private"):
        raise UsageError(f"unknown network {network!r}; choose public or private")
    name = own.get("name")
    if name is not None and not NAME_PATTERN.match(name):
        raise UsageError(f"--name {name!r}: use lower-case letters, digits and '-' (e.g. server)")
    return RunRequest(rest[0], rest[1:], own.get("ip"), network, name)


def program_location(file: Path, cwd: Path) -> tuple[str, list[str]]:
    """Where the program is inside the host, and any extra mount a file outside the folder needs."""
    path = file.resolve()
    try:
        relative = path.relative_to(cwd.resolve())
    except ValueError:  # outside the current folder: its own folder, read-only, at /program
        return f"/program/{path.name}", ["-v", f"{path.parent}:/program:ro"]
    return str(PurePosixPath("/work", *relative.parts)), []


def run_command(settings: LabSettings, request: RunRequest, container_name: str, host_number: int | None,
                cwd: Path, tty: bool) -> list[str]:
    """The `docker run` line for one program on a fresh client host."""
    inside, extra_mounts = program_location(cwd / request.file, cwd)
    hostname = request.name or (f"client-{host_number}" if host_number else f"run-{container_name[-4:]}")
    argv = ["docker", "run", "--rm", "--init", "--name", container_name,
            "--network", settings.network(request.network), "--hostname", hostname,
            "--label", f"com.docker.compose.project={settings.project}",
            "--label", "socketlab.model=client", "--label", f"socketlab.system=socketlab run {Path(request.file).name}",
            "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
            # your uid, so files land as yours; ports below 1024 (the notes' port 80) need no root
            *run_as(settings, request.network), "-e", "HOME=/tmp",
            "--sysctl", "net.ipv4.ip_unprivileged_port_start=0",
            "-v", f"{cwd.resolve()}:/work", "-w", "/work", *extra_mounts,
            "-it" if tty else "-i"]
    if request.ip:
        argv += ["--ip", request.ip]
    if request.name:
        argv += ["--network-alias", request.name]
    argv += ["-e", "SOCKETLAB_RUN_BANNER=1"]
    return [*argv, settings.client_image, *RUNNER, inside, *request.args]


def run_as(settings: LabSettings, network: str) -> list[str]:
    """Run as your uid: directly, or on the private network after the host's route is added as root."""
    user = f"{os.getuid()}:{os.getgid()}"
    extra = [item for name, value in settings.host_env(network).items() for item in ("-e", f"{name}={value}")]
    return [*extra, "-e", f"SOCKETLAB_RUN_AS={user}"] if extra else ["--user", user]


def run_host_container(lab: Lab, name: str):
    """The container of a host started with `socketlab run --name NAME` (None if there is none)."""
    found = lab.docker.containers.list(filters={"name": f"^{lab.settings.project}-run-{name}$"})
    return found[0] if found else None


def cmd_run(settings: LabSettings, args: argparse.Namespace) -> int:
    before = [item for option in OWN_OPTIONS if getattr(args, option[2:]) is not None
              for item in (option, getattr(args, option[2:]))]
    request = split_run_args([*before, *args.argv])
    file = Path(request.file)
    if not file.is_file():
        raise UsageError(f"没有这个文件 / no such file: {request.file}")
    lab = Lab(settings)
    host_number = lab.check_host_address(request.network, request.ip)
    suffix = request.name or secrets.token_hex(2)
    container_name = f"{settings.project}-run-{suffix}"
    if request.name:
        if lab.has_service(request.name):
            raise UsageError(f"--name {request.name!r} is a service of the lab; choose another name")
        if lab.docker.containers.list(all=True, filters={"name": f"^{container_name}$"}):
            raise UsageError(f"a host named {request.name!r} already runs (socketlab run --name); choose another")
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    argv = run_command(settings, request, container_name, host_number, Path.cwd(), tty)
    return run_until_done(argv, container_name, tty)


def run_until_done(argv: list[str], container_name: str, tty: bool) -> int:
    """Run `docker run`; on Ctrl-C let the program stop (exit 130), and always remove the host.

    On a terminal, Ctrl-C reaches the program through the host's terminal.
    Without one (a script, a test), socketlab forwards SIGINT to docker,
    which hands it on to the program.
    """
    process = subprocess.Popen(argv, stderr=subprocess.PIPE)
    relay = threading.Thread(target=_relay_stderr, args=(process.stderr,), daemon=True)
    relay.start()
    interrupted = False
    try:
        while True:
            try:
                code = process.wait(timeout=None if not interrupted else 10)
                return 130 if interrupted and code in (0, 130, -signal.SIGINT) else code
            except KeyboardInterrupt:
                if not tty and not interrupted:
                    process.send_signal(signal.SIGINT)
                interrupted = True
            except subprocess.TimeoutExpired:  # interrupted, but the program does not stop
                return 130
    finally:
        if process.poll() is None:
            process.terminate()
        subprocess.run(["docker", "rm", "-f", container_name], capture_output=True)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        relay.join(2)


def _relay_stderr(stream) -> None:
    """Pass docker's stderr (the program's, without a terminal) through as it comes.

    Docker's own refusal of a taken address (another `socketlab run` took it
    a moment earlier) becomes the one clear line every other error gets.
    """
    out = sys.stderr.buffer
    for chunk in iter(lambda: stream.read1(65536), b""):
        if b"Error response from daemon" in chunk and b"Address already in use" in chunk:
            chunk = (b"socketlab: that IP address was taken a moment ago by another host; "
                     b"choose another --ip\n")
        out.write(chunk)
        out.flush()

def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run", help="run your FILE.py on a fresh client host (current folder mounted at /work)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="socketlab run FILE.py [ARGS...] [--ip IP] [--network public|private] [--name NAME]")
    run.add_argument("--ip", help="a fixed address for the host, e.g. 10.77.1.60 (default: assigned)")
    run.add_argument("--network", choices=["public", "private"], help="the lab network (default: public)")
    run.add_argument("--name", help="a name the other hosts can use instead of the IP, e.g. server")
    # after the file, split_run_args sorts socketlab's options from the program's arguments
    run.add_argument("argv", nargs=argparse.REMAINDER, metavar="FILE.py [ARGS...]")
    run.set_defaults(func=cmd_run)
