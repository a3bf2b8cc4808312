"""Watching the lab as a learner does, at an 80-column terminal, and leaving it with Ctrl-C.

* `socketlab top --json`: 20 clients make 20 fork children, 20 more threads,
  and one select process holding 20 connections;
* plain `ps` inside a service (docker compose exec echo-fork ps) sees the same;
* a capture of one `nc` session holds one handshake, and the service's log one
  connection line, though a health check ran meanwhile;
* `ps` and `topology` at 80 columns: nothing cut, the FTP pool one range;
* SIGINT to the long-running commands (top, capture, check, client) ends each
  with 0 or 130 and no traceback;
* Docker's errors reach the user as one line that says what to do.
"""

from __future__ import annotations

import io
import json
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from socketlab_common.probe import PROBE_SOURCE

from socketlab.cli import main
from socketlab.hosts import ClientHost
from socketlab.pcap import connection_story, read_capture
from socketlab.topology import hosts_table, lab_hosts, lab_networks, topology_tree

from .capturing import CLI, socketlab_capture
from .lab import ComposeLab

CLIENTS = 20
WAIT = 60.0


@contextmanager
def clients_of(ip: str, count: int = CLIENTS) -> Iterator[list[socket.socket]]:
    """`count` connections from this machine, each echoed once (so the server surely serves every one)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.create_connection((ip, 8888), timeout=WAIT)) for _ in range(count)]
        for number, sock in enumerate(socks):
            sock.sendall(f"client {number}\n".encode())
        for number, sock in enumerate(socks):
            want, got = f"client {number}\n".encode(), b""
            while len(got) < len(want):
                chunk = sock.recv(64)
                assert chunk, f"{ip} closed connection {number}"
                got += chunk
            assert got == want
        yield socks


def ps_in(lab: ComposeLab, service: str, columns: str) -> list[list[str]]:
    """`ps -eL -o COLUMNS` run inside the service's own container (as `docker compose exec` would)."""
    result = lab.service_container(service).exec_run(["ps", "-eL", "--no-headers", "-o", columns])
    assert result.exit_code == 0, result.output.decode(errors="replace")
    return [line.split() for line in result.output.decode().splitlines()]


def fork_children(lab: ComposeLab, service: str = "echo-fork") -> set[str]:
    """The PIDs of the fork server's children (zombies too), by plain `ps` inside its container."""
    rows = ps_in(lab, service, "pid,ppid,comm")
    server = next(pid for pid, ppid, comm in rows if comm == "python3" and ppid == "1")  # under docker-init
    return {pid for pid, ppid, _ in rows if ppid == server}


def await_no_fork_children(lab: ComposeLab) -> None:
    """Wait (bounded) until the clients of an earlier test are gone: a child ends a moment after its client."""
    deadline = time.monotonic() + WAIT
    while children := fork_children(lab):
        assert time.monotonic() < deadline, f"echo-fork still has children {children}"
        time.sleep(0.1)


def test_plain_ps_inside_a_service_sees_its_children_and_threads(lab: ComposeLab) -> None:
    await_no_fork_children(lab)
    with clients_of(lab.service_ip("echo-fork"), 3), clients_of(lab.service_ip("echo-thread"), 3):
        children = fork_children(lab)
        thread = ps_in(lab, "echo-thread", "pid,tid,comm")
    assert len(children) == 3, children
    pythons = [row for row in thread if row[2] == "python3"]
    assert len({pid for pid, _, _ in pythons}) == 1 and len(pythons) >= 4, thread
    await_no_fork_children(lab)  # and the server is as we found it


def test_top_shows_what_each_model_does_with_20_clients(lab: ComposeLab) -> None:
    services = ("echo-fork", "echo-thread", "echo-select")
    await_no_fork_children(lab)  # children of an earlier test's clients would be counted too
    with ExitStack() as stack:
        for service in services:
            stack.enter_context(clients_of(lab.service_ip(service)))
        env = lab.settings.compose_env()
        with ThreadPoolExecutor(len(services)) as pool:
            runs = {s: pool.submit(subprocess.run, [*CLI, "top", s, "--once", "--json"], capture_output=True,
                                   text=True, timeout=WAIT * 2, env=env) for s in services}
            results = {s: run.result() for s, run in runs.items()}
    seen = {}
    for service, result in results.items():
        assert result.returncode == 0, result.stdout + result.stderr
        seen[service] = json.loads(result.stdout)
        assert seen[service]["summary"]["established"] == CLIENTS, seen[service]["connections"]
    fork, thread, select_ = (seen[s]["summary"] for s in services)
    assert fork["children"] == CLIENTS and fork["processes"] == CLIENTS + 1, fork
    assert thread["processes"] == 1 and thread["threads"] >= CLIENTS + 1, thread
    assert select_["processes"] == 1 and select_["threads"] == 1 and select_["children"] == 0, select_
    # The select server holds every connection in its one process: listener + 20 + the stdio it was given.
    assert select_["fds"] >= CLIENTS + 1
    server = next(p for p in seen["echo-select"]["processes"] if p["pid"] == seen["echo-select"]["server_pid"])
    assert server["command"].startswith("python3 -m echo") and server["state"][0] in "SR"


def _last_health_check(lab: ComposeLab, service: str) -> str:
    container = lab.service_container(service)
    container.reload()
    log = container.attrs["State"]["Health"]["Log"]
    return log[-1]["Start"] if log else ""


def test_a_capture_and_the_log_hold_the_learners_session_only(lab: ComposeLab, tmp_path: Path,
                                                              alice_host: ClientHost) -> None:
    service = "echo-select"
    pcap = tmp_path / "one-session.pcap"
    with socketlab_capture(lab, service, pcap, "tcp", "port", "8888", timeout=WAIT) as capture:
        before = _last_health_check(lab, service)
        # A health check must run while we capture, or leaving it out would prove nothing.
        deadline = time.monotonic() + WAIT
        while _last_health_check(lab, service) == before:
            assert time.monotonic() < deadline, "no health check ran during the capture"
            time.sleep(0.2)  # polling Docker's health log for a new entry, bounded
        since = time.time()
        talk = alice_host.sh(f"printf 'just me\\n' | nc -N {lab.service_ip(service)} 8888")
        assert talk.stdout == "just me\n", talk.output
    # Ctrl-C came right after the session: its packets must be in the file all the same.
    assert capture.process.returncode == 0, capture.stderr
    assert f"health probes (from {PROBE_SOURCE}) are left out" in capture.stderr
    packets = read_capture(pcap.read_bytes()).tcp
    story = connection_story(packets)
    assert (story["SYN"], story["SYN-ACK"]) == (1, 1), [str(p) for p in packets] + [capture.stderr]
    assert all(PROBE_SOURCE not in str(p) for p in packets)
    log = lab.service_container(service).logs(since=since).decode(errors="replace")
    connects = [line for line in log.splitlines() if "connect from" in line]
    assert len(connects) == 1 and f"connect from {alice_host.ip}:" in connects[0], log
    assert PROBE_SOURCE not in log and "127.0.0.1" not in log, log


def test_ps_and_topology_read_at_80_columns(lab: ComposeLab) -> None:
    rows, networks = lab_hosts(lab.settings, lab.docker), lab_networks(lab.settings, lab.docker)
    ips = [ip for service in lab.services() for ip in (lab.service_ip(service, "public"),
                                                        lab.service_ip(service, "private")) if ip]
    for view in (hosts_table(rows, "ps", 80), topology_tree(rows, networks, "topology")):
        console = Console(width=80, record=True, color_system=None, file=io.StringIO())
        console.print(view)
        text = console.export_text()
        assert "…" not in text and max(len(line.rstrip()) for line in text.splitlines()) <= 80, text
        for ip in ips:
            assert re.search(rf"(?<![\d.]){re.escape(ip)}(?![\d.])", text), f"{ip} cut or missing:\n{text}"
        if lab.has_service("ftp"):
            port = lab.settings.port_prefix
            assert re.search(rf"{port}100–{port}\d{{3}}", text) and f"{port}101" not in text, text
        if lab.has_service("echo-fork"):
            fork = next(line for line in text.splitlines() if "echo-fork" in line)
            assert "8888/tcp" in fork and "udp" not in fork, fork


class Running:
    """A CLI command whose output (stdout and stderr merged) is read line by line as it comes."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.text: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            self.text.append(line)
            self.lines.put(line)

    def expect(self, pattern: str) -> None:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"never printed {pattern!r}: {''.join(self.text)}") from None
            if re.search(pattern, line):
                return


def test_ctrl_c_ends_each_long_running_command_cleanly(lab: ComposeLab, tmp_path: Path) -> None:
    env = {**lab.settings.compose_env(), "COLUMNS": "80"}
    commands = {
        "top": (["top", "echo-select", "--interval", "0.5"], r"processes of echo-select"),
        "capture": (["capture", "echo-epoll", "-o", str(tmp_path / "c.pcap")], r"listening on"),
        "check": (["check"], r"starting a client host"),
        "client": (["client", "echo-client", "echo-poll"], r"^connected "),
    }
    running = {name: Running([*CLI, *argv], env) for name, (argv, _) in commands.items()}
    try:
        for name, (_, ready) in commands.items():
            running[name].expect(ready)
        for cmd in running.values():
            cmd.proc.send_signal(signal.SIGINT)
        for name, cmd in running.items():
            code = cmd.proc.wait(WAIT)
            output = "".join(cmd.text)
            assert code in (0, 130), f"{name}: exit {code}\n{output}"
            assert "Traceback" not in output, f"{name}:\n{output}"
    finally:
        for cmd in running.values():
            if cmd.proc.poll() is None:
                cmd.proc.kill()
                cmd.proc.wait()
    # Interrupted mid-work, check, top and capture leave no helper container behind.
    leftovers = lab.docker.containers.list(all=True, filters={"label": ["socketlab.check"]})
    leftovers += lab.docker.containers.list(all=True, filters={"label": [f"socketlab.capture={lab.settings.project}"]})
    leftovers += lab.docker.containers.list(all=True, filters={"label": [f"socketlab.watch={lab.settings.project}"]})
    deadline = time.monotonic() + WAIT
    while leftovers and time.monotonic() < deadline:
        time.sleep(0.2)  # auto-removal after a forced stop is asynchronous; bounded
        leftovers = [c for c in leftovers if _exists(lab, c.id)]
    assert not leftovers


def _exists(lab: ComposeLab, container_id: str) -> bool:
    try:
        lab.docker.containers.get(container_id)
    except Exception:
        return False
    return True


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the CLI's main in this process (as the console script does) and read what the user sees."""
    code = main(argv)
    seen = capsys.readouterr()
    output = (seen.out + seen.err).strip()
    assert "Traceback" not in output and len(output.splitlines()) == 1, output
    return code, output


@pytest.mark.parametrize("case", ["ip taken", "bad ip", "lab not up", "unknown service", "bad timeout"])
def test_docker_errors_and_bad_arguments_are_one_line_saying_what_to_do(
        lab: ComposeLab, case: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    if case == "ip taken":
        ip = lab.service_ip("echo-select")
        code, text = _one_line_error(["client", "--ip", ip, "true"], capsys)
        assert code == 2 and f"{ip} is already taken" in text and "echo-select" in text, text
    elif case == "bad ip":
        code, text = _one_line_error(["client", "--ip", "banana", "true"], capsys)
        assert code == 2 and "'banana' is not an address" in text and f"{lab.settings.net_prefix}.1.60" in text
    elif case == "lab not up":
        monkeypatch.setenv("COMPOSE_PROJECT_NAME", f"{lab.settings.project}-absent")
        for argv in (["client", "true"], ["top", "echo-fork", "--once"], ["capture", "echo-fork"]):
            code, text = _one_line_error(argv, capsys)
            assert code == 1 and "the lab is not up" in text and "make up" in text, (argv, text)
    elif case == "unknown service":
        for argv in (["top", "echo-forkk", "--once"], ["capture", "echo-forkk"]):
            code, text = _one_line_error(argv, capsys)
            assert code == 2 and "no service 'echo-forkk'" in text and "echo-fork" in text.split("services are")[1]
    else:
        code, text = _one_line_error(["check", "--timeout", "-1"], capsys)
        assert code == 2 and "--timeout" in text and "above 0" in text
