"""What a lesson's check.py uses: the learner's program on its own host, driver hosts, probes.

A checker is a black box test: it never imports the learner's file. It
starts the file with `python3 -u` on a fresh client host of the running lab
(the file's folder mounted read-only at /work, the working directory a
scratch folder that sees the same files and may be written), drives it from
other hosts with small Python probes sent as text (`Checkup.probe`), and
looks at it from outside (`ss`, `ps`, exit status, stdout and stderr).

Every wait here has a bound, and every bound is cut to what is left of the
whole check's time, so a program that hangs, crashes or never listens gets
a failing verdict, never a hang of the checker. `Checkup.close()` removes
every host it started, whatever happened.
"""

from __future__ import annotations

import io
import json
import shlex
import signal as signals
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import docker.errors

from ..errors import LabError, explain_docker_error
from ..hosts import ClientHost, ExecResult, start_client_host
from ..lab import Lab
from .verdict import Verdict, failed, passed

PROBES = Path(__file__).resolve().parent / "probes"
WORKDIR = "/home/lab"   # the program's working directory on its host (scratch, writable)
PS_COLUMNS = "pid=,ppid=,stat=,nlwp=,args="   # parse_ps reads these
WATCH_READY = 10   # seconds start(watch=True) waits for the watch to look before it starts the program anyway


class ProcessInfo(NamedTuple):
    pid: int
    ppid: int
    stat: str
    threads: int
    command: str


def pidfile(number: int) -> str:
    """Where the shell that becomes a host's program number `number` writes its PID."""
    return f"/tmp/program-{number}.pid"


class ThreadInfo(NamedTuple):
    """One thread of a process, as /proc/PID/task/TID/stat shows it (what `ps -L` and `top -H` read)."""

    tid: int
    state: str      # R running, S sleeping (waiting: a lock, a sleep, input), D, Z ...
    cpu_ticks: int  # user + system CPU time so far, in clock ticks (100 a second on Linux)


def probe_script(name: str) -> str:
    """The text of a shared probe, socketlab/lessons/probes/<name>.py."""
    return (PROBES / f"{name}.py").read_text(encoding="utf-8")


def parse_json(result: ExecResult) -> dict | None:
    """The last JSON object a probe printed on stdout (None if there is none)."""
    for line in reversed(result.stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def tail(text: str, lines: int = 6) -> str:
    """The last lines of a program's output: what a learner needs to see of a crash."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


class Program:
    """The learner's program running on a host of the lab, seen from outside."""

    def __init__(self, checkup: Checkup, host: ClientHost, path: Path, args: tuple[str, ...], number: int,
                 stdin: str | bytes | None, watch: Background | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.checkup = checkup
        self.host = host
        self.path = path
        self.args = args
        self.pidfile = pidfile(number)
        self._out = bytearray()
        self._err = bytearray()
        self._lock = threading.Lock()
        self._watch = watch
        command = program_command(path.name, args, self.pidfile, env, watched=watch is not None)
        self.process = subprocess.Popen(["docker", "exec", "-i", host.id, "sh", "-c", command],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._drain, args=(self.process.stdout, self._out), daemon=True),
                         threading.Thread(target=self._drain, args=(self.process.stderr, self._err), daemon=True)]
        for reader in self._readers:
            reader.start()
        if stdin is not None:
            self.send(stdin)
            self.close_stdin()

    @property
    def ip(self) -> str:
        return self.host.ip

    @property
    def name(self) -> str:
        return self.path.name

    def _drain(self, stream, sink: bytearray) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            with self._lock:
                sink.extend(chunk)

    # --- what it says ------------------------------------------------------------------------

    def output(self) -> str:
        """Everything it printed on stdout so far."""
        with self._lock:
            return self._out.decode(errors="replace")

    def errors(self) -> str:
        """Everything it printed on stderr so far (a traceback, for one)."""
        with self._lock:
            return self._err.decode(errors="replace")

    def wait_output(self, text: str, timeout: float = 5) -> bool:
        """Wait until `text` appears on its stdout (False: it exited or the time ran out)."""
        deadline = time.monotonic() + self.checkup.bound(timeout)
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if not self.alive():
                self.settle()
                return text in self.output()
            time.sleep(0.05)
        return text in self.output()

    def send(self, data: str | bytes) -> bool:
        """Write to its stdin (False if it has closed it or exited)."""
        raw = data.encode() if isinstance(data, str) else data
        try:
            self.process.stdin.write(raw)
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, OSError):
            return False

    def close_stdin(self) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass

    # --- its life ----------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_exit(self, timeout: float = 10) -> int | None:
        """Its exit status, or None if it still runs after `timeout` seconds."""
        try:
            code = self.process.wait(self.checkup.bound(timeout))
        except subprocess.TimeoutExpired:
            return None
        self.settle()
        return code

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def settle(self) -> None:
        """Let the output readers catch the last bytes of a finished program."""
        for reader in self._readers:
            reader.join(1)

    def pid(self) -> int | None:
        result = self.host.run("cat", self.pidfile, timeout=self.checkup.bound(10))
        return int(result.stdout) if result.exit_code == 0 and result.stdout.strip().isdigit() else None

    def signal(self, sig: int = signals.SIGTERM) -> bool:
        """Send a signal to the program itself (not to its host or a wrapper); False if that failed."""
        try:
            result = self.host.sh(f"kill -{int(sig)} $(cat {self.pidfile})", timeout=self.checkup.bound(10) + 5)
        except subprocess.TimeoutExpired:
            return False
        return result.exit_code == 0

    def stop(self, grace: float = 2) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds: its exit status (None if it could not be ended in time).

        The program runs under `docker exec`, whose client ends when the
        program does: it has ended once that client has.
        """
        if self.alive():
            self.signal(signals.SIGTERM)
            if self.wait_exit(grace) is None:
                self.signal(signals.SIGKILL)
                self.wait_exit(10)
        ended = not self.alive()
        if not ended:  # docker no longer answers in time: end our side at least
            self.process.kill()
            self.process.wait(5)
        self.close_stdin()
        self.settle()
        return self.process.returncode if ended else None

    def wait_listening(self, port: int, proto: str = "tcp", timeout: float = 10) -> bool:
        """Wait until it listens on `port` (tcp) or has bound it (udp); False if it exited or the time ran out."""
        found = wait_port(self.host, port, proto, self.checkup.bound(timeout), self.pidfile)
        return found and self.alive()

    def connections(self, port: int, state: str = "established") -> int:
        """How many TCP connections in `state` its host has on local port `port` (ss)."""
        result = self.host.sh(f"ss -Htn state {state} '( sport = :{port} )' | wc -l", timeout=self.checkup.bound(10))
        return int(result.stdout.strip() or 0) if result.exit_code == 0 else 0

    def wait_connections(self, port: int, count: int = 1, timeout: float = 5, state: str = "established") -> bool:
        """Wait until its host has at least `count` TCP connections in `state` on `port`."""
        deadline = time.monotonic() + self.checkup.bound(timeout)
        while time.monotonic() < deadline:
            if self.connections(port, state) >= count:
                return True
            time.sleep(0.05)
        return False

    def processes(self) -> list[ProcessInfo]:
        """The program's process and every descendant (children, zombies too), from `ps` on its host."""
        table = self.host_processes()
        root = self.pid()
        if root is None:
            return []
        return descendants(table, root)

    def host_processes(self) -> list[ProcessInfo]:
        """Every process on its host: what is left of the program after it exited (orphans adopted by PID 1)."""
        result = self.host.run("ps", "-e", "-o", PS_COLUMNS, timeout=self.checkup.bound(10))
        return parse_ps(result.stdout)

    def snapshots(self, timeout: float = 10) -> list[list[ProcessInfo]]:
        """Its process tree over its life, as seen every 20 ms from its host (needs start(watch=True)).

        Waits (bounded) until the program has exited or the watch's time ran
        out. A tree is kept each time it changed, so a child that lived a
        fraction of a second is there, where processes() called now and then
        could miss it. Empty if the watch could not run.
        """
        if self._watch is None:
            raise ValueError("start the program with watch=True to see its snapshots")
        result = self._watch.result(self.checkup.bound(timeout))
        return parse_snapshots(parse_json(result)) if result is not None else []

    def threads(self) -> list[ThreadInfo]:
        """The threads of the program's own process (not its children), with their state and CPU time."""
        root = self.pid()
        if root is None:
            return []
        result = self.host.sh(f"cat /proc/{root}/task/*/stat 2>/dev/null", timeout=self.checkup.bound(10))
        return parse_task_stats(result.stdout)

    def crash_detail(self) -> str:
        """What to show under a failing verdict: exit status and the last stderr lines."""
        code = self.returncode
        parts = []
        if code is not None:
            parts.append(f"exit status {code}")
        err = tail(self.errors())
        if err:
            parts.append(err)
        return "\n".join(parts)


WATCHED_NICENESS = 10  # a watched program yields its host's CPU to the watch (see program_command)


def program_command(name: str, args: tuple[str, ...], pidfile: str, env: dict[str, str] | None = None,
                    watched: bool = False) -> str:
    """The shell line that runs /work/`name` as `python3 -u` in the scratch folder, its pid in `pidfile`.

    `env` adds environment variables (PYTHONFAULTHANDLER=1, say, so that a
    checker can ask a hung program where its threads are stuck); `exec`
    keeps the pid the program's own (`nice` and `env` exec in turn).
    A `watched` program runs niced: on a busy machine the watch, which
    sleeps 20 ms between looks, would otherwise wait behind the very
    processes it counts, and a pool that lives a tenth of a second could
    pass unseen. Niced, the program only runs a little longer there.
    """
    assignments = [f"{key}={value}" for key, value in (env or {}).items()]
    runner = ["env", *assignments] if assignments else []
    polite = ["nice", "-n", str(WATCHED_NICENESS)] if watched else []
    return (f"echo $$ > {pidfile}; cd {WORKDIR} && exec "
            + shlex.join([*polite, *runner, "python3", "-u", f"/work/{name}", *args]))


def wait_port(host: ClientHost, port: int, proto: str = "tcp", timeout: float = 10, pidfile: str = "") -> bool:
    """Wait (one `docker exec`, polling `ss`) until something on `host` listens on `port`.

    With `pidfile`, stop early (False) when the process it names has exited.
    """
    flag = {"tcp": "t", "udp": "u"}[proto]
    gone = f"[ -f {pidfile} ] && ! kill -0 $(cat {pidfile}) 2>/dev/null && exit 3; " if pidfile else ""
    script = (f"end=$(( $(date +%s%N) / 1000000 + {int(timeout * 1000)} )); "
              f"while :; do ss -Hln{flag} 'sport = :{port}' | grep -q . && exit 0; {gone}"
              f"[ $(( $(date +%s%N) / 1000000 )) -ge $end ] && exit 1; sleep 0.05; done")
    try:
        return host.sh(script, timeout=timeout + 10).exit_code == 0
    except subprocess.TimeoutExpired:
        return False


def parse_snapshots(report: dict | None) -> list[list[ProcessInfo]]:
    """The trees of proc_watch's `family` report (see probes/proc_watch.py); [] for no report."""
    if not report:
        return []
    return [[ProcessInfo(int(pid), int(ppid), str(state), int(threads), "") for pid, ppid, state, threads in tree]
            for tree in report.get("snapshots", []) if tree]


def parse_ps(text: str) -> list[ProcessInfo]:
    """Rows of `ps -e -o pid=,ppid=,stat=,nlwp=,args=` (PS_COLUMNS); other lines are skipped."""
    rows = []
    for line in text.splitlines():
        fields = line.split(None, 4)
        if len(fields) >= 4 and fields[0].isdigit():
            rows.append(ProcessInfo(int(fields[0]), int(fields[1]), fields[2], int(fields[3]),
                                    fields[4] if len(fields) > 4 else ""))
    return rows


def parse_task_stats(text: str) -> list[ThreadInfo]:
    """Threads from concatenated /proc/PID/task/*/stat lines ("tid (name) state ... utime stime ...").

    The name may hold spaces and parentheses: the fields are counted from its last ')'.
    """
    threads = []
    for line in text.splitlines():
        head, _, rest = line.rpartition(")")
        fields = rest.split()
        tid = head.split("(", 1)[0].strip()
        if not tid.isdigit() or len(fields) < 13:
            continue
        threads.append(ThreadInfo(int(tid), fields[0], int(fields[11]) + int(fields[12])))
    return threads


def all_asleep(before: list[ThreadInfo], after: list[ThreadInfo], idle_ticks: int = 2) -> bool:
    """Every thread sleeping in two looks at a process, and (almost) no CPU used between them.

    What a process blocked on locks, events or input looks like from outside; one
    that spins shows a thread in R, or CPU time going up, in one of the looks.
    """
    if not before or not after:
        return False
    used = sum(t.cpu_ticks for t in after) - sum(t.cpu_ticks for t in before)
    return all(t.state == "S" for t in before + after) and used <= idle_ticks


def descendants(table: list[ProcessInfo], root: int) -> list[ProcessInfo]:
    """`root` and every process below it, parents before children."""
    found = [p for p in table if p.pid == root]
    frontier = {root}
    while frontier:
        children = [p for p in table if p.ppid in frontier and p.pid not in frontier]
        found += children
        frontier = {p.pid for p in children}
    return found


class Background:
    """A call running in a thread (a probe server a checker drives its program against)."""

    def __init__(self, function, args: tuple, kwargs: dict | None = None) -> None:
        self._value = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(function, args, kwargs or {}), daemon=True)
        self._thread.start()

    def _run(self, function, args, kwargs) -> None:
        try:
            self._value = function(*args, **kwargs)
        except BaseException as exc:  # handed to result()
            self._error = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, timeout: float = 10):
        """Its return value (None if it has not finished within `timeout`); re-raises its exception."""
        self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        return self._value


class HostPool:
    """Driver hosts lent to one check at a time and kept for the next (the tests run many checks).

    Starting a container is the slowest step of a check; a driver host only
    runs probes, so it can serve check after check. Program hosts are never
    pooled: each program gets a fresh host.
    """

    def __init__(self, lab: Lab, label: str = "lesson driver") -> None:
        self.lab = lab
        self.label = label
        self._free: dict[str, list[ClientHost]] = {}
        self._all: list[ClientHost] = []
        self._lock = threading.Lock()

    def take(self, network: str) -> ClientHost:
        with self._lock:
            free = self._free.setdefault(network, [])
            if free:
                return free.pop()
        host = start_client_host(self.lab.docker, self.lab.settings, network, labels={"socketlab.system": self.label})
        with self._lock:
            self._all.append(host)
        return host

    def give_back(self, host: ClientHost) -> None:
        with self._lock:
            self._free.setdefault(host.network, []).append(host)

    def close(self) -> None:
        with self._lock:
            hosts, self._all, self._free = self._all, [], {}
        for host in hosts:
            host.stop()


@dataclass
class Checkup:
    """One check run on the running lab; owns every host it starts and removes them in close().

    `timeout` bounds the whole check: every wait is cut to what is left of it.
    """

    lab: Lab
    timeout: float = 60.0
    label: str = "lesson check"
    pool: HostPool | None = None

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.timeout
        self._hosts: list[ClientHost] = []
        self._borrowed: list[ClientHost] = []
        self._mounts: dict[str, Path] = {}
        self._programs: list[Program] = []
        self._numbers = 0
        self._lock = threading.Lock()
        self.closed = False

    def __enter__(self) -> Checkup:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # --- time ------------------------------------------------------------------------------------

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def bound(self, timeout: float) -> float:
        """`timeout`, cut to what is left of the whole check (at least a moment)."""
        return max(0.1, min(timeout, self.remaining()))

    # --- hosts -----------------------------------------------------------------------------------

    def _start_host(self, network: str, name: str | None, mount: Path | None) -> ClientHost:
        if self.closed:
            raise LabError("the check has ended (its time ran out)")
        kwargs: dict = {}
        if name:
            kwargs["hostname"] = name
        if mount is not None:
            kwargs["volumes"] = {str(mount): {"bind": "/work", "mode": "ro"}}
        try:
            host = start_client_host(self.lab.docker, self.lab.settings, network,
                                     labels={"socketlab.system": self.label}, **kwargs)
        except docker.errors.APIError as exc:
            raise LabError(explain_docker_error(exc, self.lab.settings.project)) from None
        with self._lock:
            self._hosts.append(host)
            if mount is not None:
                self._mounts[host.id] = mount
        if self.closed:  # the time ran out while it started
            host.stop()
        return host

    def host(self, network: str = "public") -> ClientHost:
        """A driver host on `network` (fresh, or lent by the pool), gone or given back when the check ends."""
        if self.pool is None:
            return self._start_host(network, None, None)
        if self.closed:
            raise LabError("the check has ended (its time ran out)")
        host = self.pool.take(network)
        with self._lock:
            self._borrowed.append(host)
        return host

    def start(self, program: Path, *args: str, network: str = "public", name: str | None = None,
              stdin: str | bytes | None = None, files: Path | None = None, on: ClientHost | None = None,
              watch: bool = False, env: dict[str, str] | None = None) -> Program:
        """Run the learner's `program` with `python3 -u` on a fresh host (or again `on` one of its hosts).

        Its folder is mounted read-only at /work; it runs in a scratch folder
        holding links to the same files, plus a copy of `files` (a folder of
        the lesson, e.g. the web pages a server serves), so relative paths
        work and it may write. `stdin` is written and closed; without it the
        pipe stays open for Program.send. With `watch`, its process tree is
        sampled from before it starts until it exits: Program.snapshots(). `env` adds
        environment variables.
        """
        program = Path(program).resolve()
        if on is None:
            host = self._start_host(network, name, program.parent)
            setup = f"mkdir -p {WORKDIR} && ln -s /work/* {WORKDIR}/ 2>/dev/null; true"
            if files is not None:
                self._copy_in(host, files)
            host.sh(setup, timeout=self.bound(20))
        else:
            host = on
            if self._mounts.get(host.id) != program.parent:
                raise ValueError(f"{program} is not in the folder mounted on that host")
        with self._lock:
            number = self._numbers
            self._numbers += 1
        watcher = self._watch(host, pidfile(number)) if watch else None
        with self._lock:
            started = Program(self, host, program, tuple(str(a) for a in args), number, stdin, watcher, env)
            self._programs.append(started)
        return started

    def _watch(self, host: ClientHost, pid_path: str) -> Background:
        """Start proc_watch's `family` on `host` for the program about to write `pid_path`; return once it looks.

        The program starts only then, so its first child is seen, and its own
        time bounds start when it does (a loaded machine may take seconds to
        start the probe). If the probe never gets ready, the program runs
        anyway after WATCH_READY seconds and its snapshots may start late.
        """
        watcher = Background(self.probe, (host, probe_script("proc_watch"), "family", pid_path,
                                          f"{self.remaining():.1f}"), {"timeout": self.remaining()})
        ready = (f"i=0; while [ ! -e {pid_path}.watching ] && [ $i -lt {WATCH_READY * 50} ]; "
                 f"do sleep 0.02; i=$((i+1)); done")
        host.sh(ready, timeout=self.bound(WATCH_READY) + 10)
        return watcher

    def _copy_in(self, host: ClientHost, folder: Path) -> None:
        """Copy `folder`'s contents into the program's working directory on `host`."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for path in sorted(Path(folder).rglob("*")):
                tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)
        host.sh(f"mkdir -p {WORKDIR}", timeout=self.bound(20))
        host.container.put_archive(WORKDIR, buffer.getvalue())

    def probe(self, host: ClientHost, script: str, *args: str, timeout: float = 10) -> ExecResult:
        """Run Python code (text, as `python3 - ARGS`) on `host`; killed after `timeout` (exit 124)."""
        bound = self.bound(timeout)
        try:
            return host.run("timeout", "-s", "KILL", f"{bound:.1f}", "python3", "-", *map(str, args),
                            stdin=script, timeout=bound + 10)
        except subprocess.TimeoutExpired:
            return ExecResult(124, "", "the probe did not finish in time")

    def tcp_script(self, host: ClientHost, ip: str, port: int, steps: list, timeout: float = 15) -> dict:
        """Play a TCP client script (see probes/tcp_script.py) from `host`; its JSON report.

        A probe that dies or runs out of time gives {"ok": False, "error": ...}.
        """
        result = self.probe(host, probe_script("tcp_script"), ip, str(port), json.dumps(steps), timeout=timeout)
        report = parse_json(result)
        if report is None:
            return {"ok": False, "failed_step": None, "received": {}, "hex": {},
                    "error": "the probe did not finish in time" if result.exit_code in (124, 137)
                    else tail(result.output, 3)}
        return report

    def udp_script(self, host: ClientHost, ip: str, port: int, steps: list, timeout: float = 15) -> dict:
        """Play a UDP client script (see probes/udp_script.py) from `host`; its JSON report."""
        result = self.probe(host, probe_script("udp_script"), ip, str(port), json.dumps(steps), timeout=timeout)
        report = parse_json(result)
        if report is None:
            return {"ok": False, "failed_step": None, "received": {},
                    "error": "the probe did not finish in time" if result.exit_code in (124, 137)
                    else tail(result.output, 3)}
        return report

    def wait_port(self, host: ClientHost, port: int, proto: str = "tcp", timeout: float = 5) -> bool:
        """Wait until something on `host` (a driver running a probe server, say) listens on `port`."""
        return wait_port(host, port, proto, self.bound(timeout))

    def in_background(self, function, *args) -> Background:
        """Run `function(*args)` (a probe, say) in a thread; `.result(timeout)` waits for its value."""
        return Background(function, args)

    def service_ip(self, service: str, network: str = "public") -> str:
        return self.lab.service_ip(service, network)

    def close(self) -> None:
        """Stop every program and remove every host this check started."""
        self.closed = True
        with self._lock:
            hosts, self._hosts = self._hosts, []
            borrowed, self._borrowed = self._borrowed, []
            programs = list(self._programs)
        for host in hosts:
            host.stop()
        for host in borrowed:
            # a probe the time cut short may still run there: end it before the next check borrows the host
            host.sh("pkill -KILL -f '^python3 -' 2>/dev/null; true", timeout=10)
            self.pool.give_back(host)
        for program in programs:
            if program.alive():
                program.process.kill()
                try:
                    program.process.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            program.close_stdin()

    # --- verdicts most lessons need -------------------------------------------------------------

    def listening(self, program: Program, port: int, proto: str = "tcp", timeout: float = 10,
                  key: str = "listen") -> Verdict:
        """Passed if `program` listens on `port` in time; otherwise why not (crash, exit, silence)."""
        what_zh = "监听" if proto == "tcp" else "绑定"
        if program.wait_listening(port, proto, timeout):
            return passed(f"{program.name} 在 {proto.upper()} {port} 端口{what_zh}",
                          f"{program.name} {'listens' if proto == 'tcp' else 'is bound'} on {proto} port {port}",
                          key=key)
        if not program.alive():
            program.settle()
            return failed(f"{program.name} 还没{what_zh} {port} 端口就退出了",
                          f"{program.name} exited before it {'listened' if proto == 'tcp' else 'bound'} "
                          f"on {proto} port {port}",
                          "看下面的错误输出；先用 socketlab run 运行它，看它打印了什么",
                          "read its error output below; run it with `socketlab run` to see what it prints",
                          program.crash_detail(), key=key)
        return failed(f"{program.name} 在 {timeout:g} 秒内没有{what_zh} {proto.upper()} {port} 端口",
                      f"{program.name} did not {'listen' if proto == 'tcp' else 'bind'} on {proto} port {port} "
                      f"within {timeout:g} s",
                      f"检查 bind(('0.0.0.0', {port}))" + ("和 listen()" if proto == "tcp" else "")
                      + "，以及它是否在之前阻塞（例如 input()）",
                      f"check bind(('0.0.0.0', {port}))" + (" and listen()" if proto == "tcp" else "")
                      + ", and whether it blocks before them (input(), say)",
                      tail(program.errors()), key=key)

    def ended_cleanly(self, program: Program, timeout: float = 5, key: str = "exit") -> Verdict:
        """Passed if `program` ends by itself within `timeout` with status 0."""
        code = program.wait_exit(timeout)
        if code is None:
            program.stop()
            return failed(f"{program.name} 在 {timeout:g} 秒内没有结束",
                          f"{program.name} did not end within {timeout:g} s",
                          "它是否卡在 recv()/input()？对方关闭后 recv 返回 b''，要据此退出循环",
                          "is it stuck in recv() or input()? recv returns b'' once the peer has closed: leave the loop",
                          tail(program.output()), key=key)
        if code != 0:
            return failed(f"{program.name} 以状态 {code} 退出", f"{program.name} exited with status {code}",
                          "看下面的错误输出", "read its error output below", program.crash_detail(), key=key)
        return passed(f"{program.name} 正常结束", f"{program.name} ended by itself, status 0", key=key)


def run_checker(check, checkup: Checkup, program: Path) -> Iterator[Verdict]:
    """The verdicts of a lesson's `check(run, program)`, bounded by the checkup's time.

    The check runs in a thread; if it is still running when the time is up,
    a failing verdict says so and the checkup is closed (its hosts removed),
    which ends whatever the check was waiting for. A crash of the checker
    itself is a failing verdict too, with its last traceback lines.
    """
    import queue
    import traceback

    results: queue.Queue = queue.Queue()
    done = object()

    def work() -> None:
        try:
            for verdict in check(checkup, program):
                results.put(verdict)
        except Exception:  # the checker's own bug: report it as a verdict, not a traceback
            results.put(failed("检查程序自身出错（不是你的程序的问题）", "the checker itself failed (not your program)",
                               "请把下面几行报告给老师", "please report the lines below",
                               tail(traceback.format_exc(), 4), key="checker"))
        finally:
            results.put(done)

    worker = threading.Thread(target=work, daemon=True, name="lesson-check")
    worker.start()
    try:
        while True:
            try:
                item = results.get(timeout=max(0.05, checkup.remaining()))
            except queue.Empty:
                yield failed(f"检查在 {checkup.timeout:g} 秒内没有完成：程序可能卡住了",
                             f"the check did not finish within {checkup.timeout:g} s: the program may hang",
                             "用 socketlab run 运行它，看它停在哪里",
                             "run it with `socketlab run` and see where it stops",
                             key="timeout")
                return
            if item is done:
                return
            yield item
    finally:
        checkup.close()
        worker.join(15)
