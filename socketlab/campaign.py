"""The live fuzz and fault campaign: mutated traffic and cut transfers against a running lab, then checks.

1. **Fuzz** each chosen service from a client host (`fuzz` in the client
   image): `count` mutated command lines, datagrams or requests, bounded by
   `seconds` too.
2. **Faults** on the FTP service, while data moves: a client host cut off
   with ``docker network disconnect`` in the middle of an upload, a client
   killed with ``kill -9`` in the middle of an upload, and the ftp container
   restarted in the middle of an upload.
3. **Checks**: every service serves a normal client; no container restarted
   on its own; each fuzzed server's descriptors and memory (read from
   ``/proc`` inside its container) grew less than the stated bound; the FTP
   library holds no partial, temporary or unexpected file.

Every wait is polled against a deadline; nothing here sleeps a fixed time to
hope something happened. The result is a list of `Row`s (one per check),
printed as a table by ``socketlab fuzz``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import docker.errors

from .hosts import ClientHost
from .lab import Lab

FD_BOUND = 32
"""Descriptors a fuzzed server may hold more after the campaign than before (the sessions it still winds down)."""

RSS_BOUND = 64 << 20
"""Resident memory a fuzzed server may have grown by (Python keeps freed arenas; a leak grows without bound)."""

SETTLE = 60.0
"""Seconds the checks wait for things to settle: sessions time out, containers become healthy."""

LIBRARY = "/srv/ftp"
UPLOAD_PREFIX = ".ftp-upload-"
FTP_USER, FTP_PASSWORD = "student", "socketlab"

FUZZ_KINDS = {"ftp": "ftp", "chat": "chat", "web": "web"}
"""Service -> fuzzer kind; every echo-* service is fuzzed as "echo"."""

HOST_NUMBERS = range(100, 127)
"""Client host addresses the campaign may take (below .128, the dynamic range)."""


@dataclass
class Row:
    step: str      # fuzz, fault, check
    target: str    # a service, or what was cut
    ok: bool
    detail: str
    seconds: float = 0.0  # how long this step took


@dataclass
class Campaign:
    lab: Lab
    count: int = 10_000
    seconds: float = 120.0
    quick: bool = False
    seed: int = 1
    progress: Callable[[str], None] = lambda _text: None
    rows: list[Row] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    _restarted: set[str] = field(default_factory=set)
    _faults_ran: bool = False
    _ftp_host: ClientHost | None = None
    _last: float = field(default_factory=time.monotonic)
    _numbers: Iterator[int] = field(default_factory=lambda: iter(HOST_NUMBERS))
    _hosts: list[ClientHost] = field(default_factory=list)

    # ---- the whole run ---------------------------------------------------------------------------

    def run(self, services: list[str], faults: bool = True) -> list[Row]:
        every = [s for s in self.lab.services() if s != "client"]
        started = {s: self._started(s) for s in every}
        baseline = {s: process_stats(self.lab, s) for s in services}
        library_before = self._library() if "ftp" in every else {}
        try:
            for service in services:
                self._fuzz(service)
            for service in services:
                self._check_growth(service, baseline[service])
            if faults and "ftp" in every:
                self._ftp_faults()
            self._check_serving(every)
            self._check_no_restarts(every, started)
            if "ftp" in every:
                self._check_library(library_before)
        finally:
            if self._faults_ran and self.lab.has_service("ftp"):
                self._ftp_script(CLEAN_UP, check=False)
            for host in self._hosts:  # its own only: the lab may lend hosts to others too
                host.stop()
        return self.rows

    def _row(self, step: str, target: str, ok: bool, detail: str) -> None:
        now = time.monotonic()
        self.rows.append(Row(step, target, ok, detail, now - self._last))
        self._last = now
        self.progress(f"{'ok ' if ok else 'FAIL'} {step} {target}: {detail}")

    def _host(self) -> ClientHost:
        number = next(self._numbers)
        if self.lab.holder_of("public", self.lab.settings.subnet_ip("public", number)):
            return self._host()
        host = self.lab.client_host(host_number=number, labels={"socketlab.campaign": self.run_id})
        self._hosts.append(host)
        return host

    # ---- fuzzing -----------------------------------------------------------------------------------

    def _fuzz(self, service: str) -> None:
        kind = "echo" if service.startswith("echo-") else FUZZ_KINDS.get(service)
        if kind is None:
            self._row("fuzz", service, False, "no fuzzer for this service")
            return
        self.progress(f"fuzz {service}: {self.count} inputs, at most {self.seconds:g} s")
        host = self._host()
        port = "8888" if kind == "echo" else {"ftp": "21", "chat": "8000", "web": "8000"}[kind]
        result = host.run("fuzz", kind, self.lab.service_ip(service), port, "--count", str(self.count),
                          "--seconds", f"{self.seconds:g}", "--seed", str(self.seed),
                          "--wait", "0.5" if self.quick else "1", timeout=self.seconds + 120)
        try:
            report = json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            self._row("fuzz", service, False, f"fuzz failed ({result.exit_code}): {result.output[-300:]}")
            return
        sent, answered = report.get("sent", 0), report.get("answered", 0)
        mismatches = report.get("echo mismatch", 0)
        detail = f"{sent} sent, {answered} answered in {report['seconds']} s"
        if report.get("sessions"):
            detail += f", {report['sessions']} sessions"
        if mismatches:
            detail += f", {mismatches} clean payloads not echoed whole"
        self._row("fuzz", service, sent >= self.count and answered > 0 and not mismatches, detail)

    # ---- faults ----------------------------------------------------------------------------------

    def _campaign_dir(self) -> str:
        return f"fuzz-{self.run_id}"

    def _ftp_faults(self) -> None:
        ip = self.lab.service_ip("ftp")
        self._ftp_script(MAKE_DIR)
        self._faults_ran = True
        size = (32 if self.quick else 200) << 20
        self._disconnect_mid_upload(ip, size)
        self._kill_mid_upload(ip)
        self._restart_mid_upload(ip, size)

    def _slow_upload(self, host: ClientHost, ip: str, name: str, size: int):
        script = SLOW_UPLOAD.format(ip=ip, dir=self._campaign_dir(), name=name, size=size)
        return host.popen("python3", "-c", script)

    def _wait_for_temp_file(self) -> bool:
        return poll(lambda: UPLOAD_PREFIX in self._ls(self._campaign_dir()), 30)

    def _gone(self, name: str, timeout: float) -> bool:
        """The upload's temporary file is gone and `name` never appeared."""
        return poll(lambda: (listing := self._ls(self._campaign_dir())) is not None
                    and UPLOAD_PREFIX not in listing and name not in listing.split(), timeout)

    def _disconnect_mid_upload(self, ip: str, size: int) -> None:
        host = self._host()
        name = "cut-by-disconnect.bin"
        with _finished(self._slow_upload(host, ip, name, size)):
            if not self._wait_for_temp_file():
                self._row("fault", "network disconnect", False, "the upload never started")
                return
            self.lab.docker.networks.get(self.lab.settings.network("public")).disconnect(host.container, force=True)
            cleaned = self._gone(name, SETTLE + self._ftp_data_timeout())
        self._row("fault", "network disconnect mid-STOR", cleaned,
                  "the server dropped the upload; no partial file" if cleaned
                  else "a partial or temporary file stayed in the library")
        host.stop()

    def _kill_mid_upload(self, ip: str) -> None:
        host = self._host()
        name = "cut-by-kill.bin"
        host.sh("head -c 33554432 /dev/urandom > /tmp/big.bin")
        curl = host.popen("sh", "-c", f"curl -sS --limit-rate 4M -T /tmp/big.bin "
                          f"ftp://{FTP_USER}:{FTP_PASSWORD}@{ip}/{self._campaign_dir()}/{name} & "
                          "echo $! > /tmp/curl.pid; wait")
        with _finished(curl):
            if not self._wait_for_temp_file():
                self._row("fault", "kill -9 mid-STOR", False, "the upload never started")
                return
            host.sh("kill -9 $(cat /tmp/curl.pid)")
            cleaned = self._gone(name, SETTLE)
        self._row("fault", "kill -9 mid-STOR", cleaned,
                  "the server dropped the upload; no partial file" if cleaned
                  else "a partial or temporary file stayed in the library")

    def _restart_mid_upload(self, ip: str, size: int) -> None:
        host = self._host()
        name = "cut-by-restart.bin"
        upload = self._slow_upload(host, ip, name, size)
        with _finished(upload):
            if not self._wait_for_temp_file():
                self._row("fault", "restart ftp mid-STOR", False, "the upload never started")
                return
            container = self.lab.service_container("ftp")
            self._restarted.add("ftp")
            try:
                container.restart(timeout=10)
            except docker.errors.APIError as exc:  # e.g. a published port taken meanwhile (see services/ftp)
                self._row("fault", "restart ftp mid-STOR", False, f"docker could not restart ftp: {exc}"[:300])
                return
            out, _err = upload.communicate(timeout=SETTLE)
        said = out.decode(errors="replace").strip().splitlines()[-1:] or ["(nothing)"]
        clean = said[0].startswith("clean error")
        cleaned = self._gone(name, SETTLE)
        # Recovery itself is checked with every service at the end ("ftp serves").
        self._row("fault", "restart ftp mid-STOR", clean and cleaned,
                  f"client saw: {said[0][:60]}; " + ("no partial file" if cleaned else "a partial file stayed"))

    def _ftp_data_timeout(self) -> float:
        env = self.lab.service_container("ftp").attrs["Config"]["Env"]
        for item in env:
            if item.startswith("FTP_DATA_TIMEOUT="):
                return float(item.partition("=")[2])
        return 30.0

    # ---- checks ------------------------------------------------------------------------------

    def _check_growth(self, service: str, before: dict | None) -> None:
        if before is None:
            self._row("check", f"{service} descriptors/memory", False, "no server process found")
            return
        after: dict | None = None

        def settled() -> bool:
            nonlocal after
            after = process_stats(self.lab, service)
            return after is not None and after["fds"] - before["fds"] <= FD_BOUND

        poll(settled, SETTLE)
        if after is None:
            self._row("check", f"{service} descriptors/memory", False, "the server process is gone")
            return
        fds, rss = after["fds"] - before["fds"], after["rss"] - before["rss"]
        self._row("check", f"{service} descriptors/memory", fds <= FD_BOUND and rss <= RSS_BOUND,
                  f"fds {before['fds']}→{after['fds']} (bound +{FD_BOUND}), "
                  f"RSS {before['rss'] >> 20}→{after['rss'] >> 20} MiB (bound +{RSS_BOUND >> 20})")

    def _check_serving(self, services: list[str]) -> None:
        host = self._host()
        for service in services:
            if not self.lab.has_service(service):
                self._row("check", f"{service} serves", False, "the container is not running")
                continue
            command = normal_client(service, self.lab.service_ip(service), self.run_id)
            if command is None:  # no client of its own here: its health check is the normal client
                healthy = wait_healthy(self.lab, service, SETTLE)
                self._row("check", f"{service} serves", healthy, "healthy" if healthy else "not healthy")
                continue
            # A real client, tried until served (a restarted service may still be starting), not the health
            # status: under load the health checks lag behind (they time out, then count retries).
            results: list = []

            def served_once(command: str = command, results: list = results) -> bool:
                results.append(host.sh(command, timeout=60))
                return results[-1].exit_code == 0

            served = poll(served_once, SETTLE, every=1.0)
            last = results[-1] if results else None
            self._row("check", f"{service} serves", served, "a normal client was served" if served else
                      f"({last.exit_code if last else '-'}) {last.output[-200:] if last else 'never ran'}")

    def _check_no_restarts(self, services: list[str], started: dict[str, tuple]) -> None:
        moved = [s for s in services if s not in self._restarted
                 and (not self.lab.has_service(s) or self._started(s) != started[s])]
        self._row("check", "no restart on its own", not moved,
                  "every container kept its start time" if not moved else f"restarted: {', '.join(moved)}")

    def _check_library(self, before: dict[str, int]) -> None:
        if not self.lab.has_service("ftp"):
            self._row("check", "ftp library", False, "the ftp container is not running")
            return
        after = self._library()
        temp = [path for path in after if UPLOAD_PREFIX in path]
        ours = f"{self._campaign_dir()}/"
        changed = sorted(path for path in set(before) | set(after)
                         if not path.startswith(ours) and before.get(path) != after.get(path))
        campaign = sorted(path for path in after if path.startswith(ours))
        expected = [f"{ours}whole.bin"] if self._faults_ran else []
        ok = not temp and not changed and campaign == expected
        detail = "no partial, temporary or unexpected file"
        if temp:
            detail = f"temporary files: {', '.join(temp[:3])}"
        elif changed:
            detail = f"changed by anonymous fuzzing: {', '.join(changed[:3])}"
        elif campaign != expected:
            detail = f"unexpected in the campaign directory: {', '.join(campaign)}"
        self._row("check", "ftp library", ok, detail)

    # ---- looking into containers ---------------------------------------------------------------

    def _started(self, service: str) -> tuple:
        container = self.lab.service_container(service)
        container.reload()
        return container.attrs["State"]["StartedAt"], container.attrs["RestartCount"]

    def _ls(self, directory: str) -> str | None:
        code, output = self.lab.service_container("ftp").exec_run(["ls", "-a", f"{LIBRARY}/{directory}"])
        return output.decode(errors="replace") if code == 0 else None

    def _library(self) -> dict[str, int]:
        code, output = self.lab.service_container("ftp").exec_run(
            ["find", LIBRARY, "-type", "f", "-printf", "%P\\t%s\\n"])
        if code != 0:
            return {}
        return {path: int(size) for path, _, size in
                (line.partition("\t") for line in output.decode(errors="replace").splitlines()) if size}

    def _ftp_script(self, script: str, check: bool = True) -> str:
        """Run an ftplib script (with {ip} and {dir} filled in) on the campaign's own client host."""
        if self._ftp_host is None:
            self._ftp_host = self._host()
        script = script.replace("{ip}", self.lab.service_ip("ftp")).replace("{dir}", self._campaign_dir())
        result = self._ftp_host.run("python3", "-c", script, timeout=120)
        if check and result.exit_code != 0:
            raise RuntimeError(f"ftp set-up failed: {result.output[-300:]}")
        return result.stdout


PROCESS_STATS = r"""
import json, os
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != 1 and int(p) != os.getpid())
for pid in pids:
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        continue
    if cmd and cmd[0].endswith(b"python3") and b"-m" in cmd and b"probe" not in b" ".join(cmd):
        rss = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmRSS:")) * 1024
        threads = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("Threads:"))
        print(json.dumps({"pid": pid, "fds": len(os.listdir(f"/proc/{pid}/fd")), "rss": rss, "threads": threads}))
        break
"""


def process_stats(lab: Lab, service: str) -> dict | None:
    """The service's server process (the first python3 -m ... after init): descriptors, RSS, threads."""
    code, output = lab.service_container(service).exec_run(["python3", "-c", PROCESS_STATS])
    try:
        return json.loads(output) if code == 0 and output.strip() else None
    except ValueError:
        return None


def normal_client(service: str, ip: str, tag: str) -> str | None:
    """A shell command on a client host that a healthy `service` satisfies (None: the health check says it)."""
    if service.startswith("echo-") and service != "echo-udp":
        return f"echo-check {ip} --bytes 100000 --connections 2"
    if service == "web":
        return f"curl -sS --fail -o /dev/null http://{ip}:8000/"
    if service == "ftp":
        return (f"ftp-client {ip} get README.txt -o /tmp/readme-{tag} --no-progress && "
                f"grep -q socketlab /tmp/readme-{tag}")
    if service == "chat":
        return f"chat {ip} --name check-{tag} --script --say 'after the campaign' < /dev/null"
    return None


def wait_healthy(lab: Lab, service: str, timeout: float) -> bool:
    def healthy() -> bool:
        container = lab.service_container(service)
        container.reload()
        health = container.attrs["State"].get("Health")
        return container.status == "running" and (health is None or health.get("Status") == "healthy")
    return poll(healthy, timeout)


def poll(condition: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return True
        except Exception:  # a container between states: look again
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


@contextmanager
def _finished(proc) -> Iterator[None]:
    """Make sure a `docker exec` started for a fault ends, whatever happened."""
    try:
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


MAKE_DIR = """
import ftplib, io, os
f = ftplib.FTP("{ip}", timeout=20); f.login("student", "socketlab")
f.mkd("{dir}")
f.storbinary("STOR {dir}/whole.bin", io.BytesIO(b"a complete upload" * 1000))
"""

SLOW_UPLOAD = """
import ftplib, os, time
try:
    f = ftplib.FTP("{ip}", timeout=30); f.login("student", "socketlab")
    conn = f.transfercmd("STOR {dir}/{name}")
    block = os.urandom(1 << 20)
    for _ in range({size} >> 20):
        conn.sendall(block)
        time.sleep(0.05)
    conn.close()
    print("finished", f.voidresp())
except Exception as exc:
    print("clean error", type(exc).__name__, exc)
"""

CLEAN_UP = """
import ftplib
f = ftplib.FTP("{ip}", timeout=20); f.login("student", "socketlab")
for name in f.nlst("{dir}"):
    f.delete(name if "/" in name else "{dir}/" + name)
f.rmd("{dir}")
"""
