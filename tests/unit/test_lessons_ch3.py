"""Chapter 3 and closing-chapter lessons without Docker: the probes against the real lesson
programs on this machine, and the pure judgements of the checkers.

The lesson programs listen on the fixed port 8888 of the notes; here each one runs with
that number replaced by a free port, on loopback, in its own process group, and the
probe's steps (probes/echo_probe.py, the code the checkers run on client hosts) drive it.
So a step is proven to pass the reference and to fail the typical wrong program it exists
for, in seconds; tests/integration/test_lessons.py then does the same across hosts.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socketlab.lessons import qps, servers
from socketlab.lessons.catalog import all_lessons
from socketlab.lessons.verdict import WIDTH, columns, render

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
PROBES = ROOT / "socketlab" / "lessons" / "probes"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"lesson_probe_{name}", PROBES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


probe = _load("echo_probe")
watch = _load("proc_watch")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A lesson program on loopback, its port 8888 replaced by a free one."""

    def __init__(self, program: str, tmp: Path) -> None:
        source = (LESSONS / program).read_text(encoding="utf-8")
        assert len(re.findall(r"\b8888\b", source)) == 1, program
        self.port = free_port()
        path = tmp / Path(program).name
        path.write_text(source.replace("8888", str(self.port)), encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, "-u", str(path)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"{program} did not listen")

    def steps(self, *steps: dict) -> list[dict]:
        return probe.run({"host": "127.0.0.1", "port": self.port, "steps": list(steps)})

    def stop(self) -> str:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, err = self.process.communicate(timeout=10)
        return err.decode(errors="replace")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    started: list[Server] = []

    def start(program: str) -> Server:
        server = Server(program, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# ---------------------------------------------------------------- the probe against real programs

REFERENCES = ["3.3-select/select_server.py", "3.3-poll/poll_server.py", "3.3-epoll/epoll_server.py",
              "3.3-epoll/epoll_et_server.py", "5.1-select-limit/select_server.py", "5.2-qps/prefork_server.py"]


@pytest.mark.parametrize("program", REFERENCES)
def test_multiplexed_references_pass_every_step(serve, program: str) -> None:
    server = serve(program)
    results = server.steps({"step": "echo"}, {"step": "split"}, {"step": "crowd", "connections": 8},
                           {"step": "silent"}, {"step": "vanish"}, {"step": "echo"},
                           {"step": "large", "size": 1 << 20}, {"step": "halfclose"})
    assert [r["step"] for r in results] == ["echo", "split", "crowd", "silent", "vanish", "echo", "large",
                                            "halfclose"]
    assert all(r["ok"] for r in results), results


@pytest.mark.parametrize("program", REFERENCES)
def test_an_echo_sent_with_the_clients_fin_still_comes_back(serve, program: str) -> None:
    """`printf hi | nc -N host 8888`: the data and the FIN arrive together; the echo is sent before closing."""
    server = serve(program)
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
            sock.sendall("你好\n".encode())
            sock.shutdown(socket.SHUT_WR)
            got = b""
            while chunk := sock.recv(1024):
                got += chunk
        assert got == "你好\n".encode()


@pytest.mark.parametrize(("program", "failing"), [
    ("3.3-select/wrong/decode_per_recv.py", "split"),
    ("3.3-select/wrong/blocking_recv.py", "silent"),
    ("3.3-select/wrong/never_close.py", "halfclose"),
    ("3.3-poll/wrong/send_in_read.py", "large"),
    ("3.3-epoll/wrong/et_read_once.py", "large"),
])
def test_each_wrong_program_fails_the_step_made_for_it(serve, program: str, failing: str) -> None:
    """On loopback (64 KiB segments) the kernel buffers up to 4 MiB of a reply: the large echo is 6 MiB here."""
    server = serve(program)
    results = server.steps({"step": "echo"}, {"step": "split"}, {"step": "silent", "timeout": 1.5},
                           {"step": "large", "size": 6 << 20, "stall": 1.5}, {"step": "halfclose", "timeout": 1.5})
    assert results[-1]["step"] == failing and not results[-1]["ok"], results
    assert all(r["ok"] for r in results[:-1]), results


def test_a_vanishing_client_kills_the_server_without_connection_error_handling(serve) -> None:
    server = serve("3.3-epoll/wrong/no_reset.py")
    results = server.steps({"step": "vanish"}, {"step": "echo", "timeout": 1.5})
    assert results[-1]["step"] == "echo" and results[-1]["refused"] and not results[-1]["ok"]
    assert re.search(r"ConnectionResetError|BrokenPipeError", server.stop())


def test_an_iterative_server_fails_the_crowd_the_second_client_waits(serve) -> None:
    server = serve("3.1.2-thread-server/wrong/join_at_once.py")
    [crowd] = server.steps({"step": "crowd", "connections": 4, "rounds": 1, "timeout": 1.0})
    assert not crowd["ok"] and crowd["answered"] == 1 and crowd["error"] == "no reply"


def test_the_crowd_replies_are_each_clients_own(serve) -> None:
    server = serve("3.1.2-thread-server/thread_server.py")
    [crowd] = server.steps({"step": "crowd", "connections": 6, "rounds": 2, "tag": "t"})
    assert crowd["ok"] and crowd["answered"] == 12


def test_the_notes_fork_server_never_sends_its_fin(serve) -> None:
    """The parent keeps its copy of the newest connection: the client waits for a FIN in vain."""
    good = serve("3.1.1-fork-server/fork_server.py")
    bad = serve("3.1.1-fork-server/wrong/keeps_connection.py")
    assert good.steps({"step": "halfclose", "timeout": 2})[0]["ok"]
    result = bad.steps({"step": "halfclose", "timeout": 1})[0]
    assert not result["ok"] and "no FIN" in result["error"]


def test_the_blocking_lesson_drops_a_silent_client_after_its_timeout(serve) -> None:
    good = serve("3.2-blocking/blocking_server.py")
    [result] = good.steps({"step": "silent", "timeout": 2, "close_within": 4})
    assert result["ok"] and result["silent_closed"], result


def test_the_flood_tells_served_from_refused(serve) -> None:
    """Past 1024 descriptors the lesson's select server refuses; the notes' one dies on ValueError."""
    if probe.raise_nofile() < 1300:
        pytest.skip("this machine's open-files limit is too low for 1,100 connections")
    good = serve("5.1-select-limit/select_server.py")
    watch.nofile(good.process.pid, 4096)
    [flood] = good.steps({"step": "flood", "connections": 1100, "hold": 0})
    assert flood["ok"] and flood["hanging"] == 0 and flood["refused"] >= 70 and flood["served"] >= 1000, flood
    assert good.steps({"step": "echo"})[0]["ok"]
    bad = serve("5.1-select-limit/wrong/no_limit.py")
    watch.nofile(bad.process.pid, 4096)
    bad.steps({"step": "flood", "connections": 1100, "stall": 2, "hold": 0})
    assert "filedescriptor out of range in select()" in bad.stop()


def test_watch_sees_a_fork_servers_children_and_its_zombies(serve) -> None:
    server = serve("3.1.1-fork-server/wrong/zombies.py")
    pid = server.process.pid
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"hi")
        assert sock.recv(16) == b"hi"
        assert watch.snapshot(pid)["processes"] == 2
    deadline = time.monotonic() + 5
    while watch.snapshot(pid)["processes"] != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    now = watch.snapshot(pid)  # ours, and the readiness probe's unless the next start() reaped it
    assert now["zombies"] >= 1 and now["processes"] == 1 and now["fds"] > 0
    assert not watch.quiet(now)


def test_watch_counts_a_thread_per_client_and_the_connections_held(serve) -> None:
    server = serve("3.1.2-thread-server/thread_server.py")
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
    try:
        for sock in clients:
            sock.sendall(b"x")
            assert sock.recv(1) == b"x"
        seen = watch.watch(server.process.pid, 5, server.port, seconds=0.3)
    finally:
        for sock in clients:
            sock.close()
    assert seen["max_processes"] == 1 and seen["max_threads"] == 6 and seen["max_accepted"] >= 5
    verdict = servers.single_task_verdict(seen, 5, "", "")
    assert not verdict.passed and "6 threads" in verdict.en


def test_usage_measures_a_spinning_loop(serve) -> None:
    busy = serve("3.2-blocking/wrong/busy_loop.py")
    calm = serve("3.2-blocking/blocking_server.py")
    spinning, waiting = watch.usage(busy.process.pid, 1.0, busy.port), watch.usage(calm.process.pid, 1.0, calm.port)
    # on a busy machine a spinning loop may get little CPU, but it is always ready to run
    assert spinning["running"] > 0.8 and waiting["running"] < 0.2 and waiting["cpu"] < 0.3


def test_hosts_meet_to_start_together_and_to_let_go_together() -> None:
    """The leader waits for a late host and for the watch; nobody lets go before the slowest host is
    done and the watch has sampled them all."""
    import threading

    port = free_port()
    leader = probe.Meeting({"peers": 2, "port": port, "timeout": 5})
    events: dict[str, float] = {}

    def late_host() -> None:
        time.sleep(0.4)  # started late on a busy machine
        meeting = probe.Meeting({"leader": "127.0.0.1", "port": port, "timeout": 5})
        assert meeting.ready()
        events["late ready"] = time.monotonic()
        time.sleep(0.3)  # its clients take longer
        assert meeting.all_done()
        events["late released"] = time.monotonic()

    def the_watch() -> None:
        meeting = watch.Leader("127.0.0.1", port, 5)
        assert meeting.met
        events["watch started"] = time.monotonic()
        while not meeting.asked_to_sample():
            time.sleep(0.01)
        events["watch asked"] = time.monotonic()
        meeting.sampled()

    threads = [threading.Thread(target=late_host), threading.Thread(target=the_watch)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    assert leader.ready()
    events["leader ready"] = time.monotonic()
    assert leader.all_done()
    events["leader released"] = time.monotonic()
    for thread in threads:
        thread.join()
    assert events["leader ready"] - started >= 0.4
    assert events["watch asked"] - events["late ready"] >= 0.3  # asked only once the late host was done
    assert events["leader released"] >= events["watch asked"]
    lonely = probe.Meeting({"peers": 1, "port": free_port(), "timeout": 0.3})
    assert not lonely.ready()  # nobody came: it gives up in time
    assert probe.Meeting(None).ready() and probe.Meeting(None).all_done()


# ---------------------------------------------------------------- pure judgements

def test_a_step_verdict_shows_the_clients_error_and_the_servers_crash() -> None:
    text = servers.TEXTS["split"]
    ok = servers.step_verdict("split", {"ok": True}, text)
    assert ok.passed and ok.key == "split" and ok.zh == text.ok_zh
    bad = servers.step_verdict("split", {"ok": False, "error": "connection closed"}, text,
                               "server: exit status 1\nUnicodeDecodeError: 'utf-8' codec can't decode")
    assert not bad.passed and bad.hint_en == text.hint_en
    assert bad.detail.splitlines() == ["client: connection closed", "server: exit status 1",
                                       "UnicodeDecodeError: 'utf-8' codec can't decode"]
    assert not servers.step_verdict("split", None, text).passed


def test_crowd_texts_are_filled_in_and_fit_the_terminal() -> None:
    merged = servers.merge_crowds([{"ok": True, "answered": 30}, {"ok": False, "answered": 1, "error": "no reply",
                                   "failures": [{"conn": 1, "round": 1, "error": "no reply"},
                                                {"conn": 2, "round": 1, "error": "no reply"}]}])
    assert not merged["ok"] and merged["answered"] == 31 and merged["error"] == "no reply"
    verdict = servers.step_verdict("crowd", merged, servers.TEXTS["crowd"], clients=24, hosts=2)
    assert "24" in verdict.zh and "2 hosts" in verdict.en
    assert "connection 2, message 1: no reply" in verdict.detail
    assert all(columns(line) <= WIDTH for line in render([verdict]))


def test_a_host_that_never_reported_fails_the_crowd() -> None:
    assert not servers.merge_crowds([{"ok": True, "answered": 30}, None])["ok"]
    assert servers.merge_crowds([{"ok": True, "answered": 3}, {"ok": True, "answered": 3}])["ok"]


@pytest.mark.parametrize(("after", "close_wait", "problem"), [
    ({"cpu": 0.02, "fds": 5}, 0, None),
    ({"cpu": 0.97, "fds": 5}, 0, "spinning"),
    ({"cpu": 0.0, "fds": 30}, 0, "30 open descriptors"),
    ({"cpu": 0.0, "fds": 5}, 12, "CLOSE_WAIT"),
])
def test_cleanup_after_the_clients_left(after: dict, close_wait: int, problem: str | None) -> None:
    verdict = servers.cleanup_verdict({"fds": 4}, after, close_wait, "提示", "hint")
    assert verdict.passed is (problem is None) and verdict.key == "cleanup"
    if problem:
        assert problem in verdict.detail and verdict.hint_en == "hint"


def test_one_process_one_thread_for_the_multiplexed_servers() -> None:
    assert servers.single_task_verdict({"max_processes": 1, "max_threads": 1}, 24, "", "").passed
    forked = servers.single_task_verdict({"max_processes": 25, "max_threads": 25}, 24, "不要", "do not")
    threaded = servers.single_task_verdict({"max_processes": 1, "max_threads": 25}, 24, "", "")
    assert not forked.passed and "25 processes" in forked.en and forked.key == "single"
    assert not threaded.passed
    assert not servers.single_task_verdict({}, 24, "", "").passed
    assert not servers.single_task_verdict({"max_processes": 0, "max_threads": 0, "samples": 0}, 24, "", "").passed


def test_a_process_or_a_thread_per_client_counted_against_the_connections_held() -> None:
    fork = servers.per_client_verdict("fork", {"max_processes": 21, "max_threads": 21, "max_accepted": 20}, 20)
    assert fork.passed and fork.key == "processes"
    assert not servers.per_client_verdict("fork", {"max_processes": 2, "max_threads": 2,
                                                   "max_accepted": 20}, 20).passed
    # the client hosts did not overlap: judged against the 10 connections held at once
    assert servers.per_client_verdict("thread", {"max_processes": 1, "max_threads": 11,
                                                 "max_accepted": 10}, 20).passed
    assert not servers.per_client_verdict("thread", {"max_processes": 21, "max_threads": 21,
                                                     "max_accepted": 20}, 20).passed


def test_children_reaped_and_threads_ended() -> None:
    assert servers.reaped_verdict({"zombies": 0, "processes": 1}).passed
    zombies = servers.reaped_verdict({"zombies": 3, "processes": 1})
    assert not zombies.passed and "3" in zombies.zh and "SIGCHLD" in zombies.hint_en
    assert not servers.reaped_verdict({"zombies": 0, "processes": 4}).passed
    assert servers.threads_ended_verdict({"threads": 1}).passed
    assert not servers.threads_ended_verdict({"threads": 9}).passed


def test_the_parents_descriptors_must_not_grow_with_its_clients() -> None:
    assert servers.parent_fds_verdict({"fds": 4}, {"fds": 6}, 22).passed
    grown = servers.parent_fds_verdict({"fds": 4}, {"fds": 48}, 22)
    assert not grown.passed and "44" in grown.en and "SIG_IGN" in grown.hint_en


def test_the_qps_table_puts_both_servers_side_by_side() -> None:
    yours = {"requests_per_s": 12345.6, "p50_ms": 0.81, "p99_ms": 3.1, "errors": 0, "connections": 16}
    epoll = {"requests_per_s": 23456.0, "p50_ms": 0.42, "p99_ms": 1.2, "errors": 0, "connections": 16}
    lines = qps.table(yours, epoll).splitlines()
    assert lines[0].split() == ["your", "server", "echo-epoll"]
    assert lines[1].split()[-2:] == ["12,346", "23,456"]
    assert "not running" in qps.table(yours, None)
    verdict = qps.measured_verdict(yours, epoll)
    assert verdict.passed and "12,346" in verdict.en
    assert all(columns(line) <= WIDTH for line in render([verdict]))


def test_loadgen_is_asked_for_a_short_closed_loop() -> None:
    argv = qps.loadgen_argv("10.77.1.60")
    assert argv[:4] == ["loadgen", "echo", "10.77.1.60", "8888"]
    assert float(argv[argv.index("--duration") + 1]) <= 3


# ---------------------------------------------------------------- the lesson folders

CHAPTER = [lesson for lesson in all_lessons() if lesson.section.startswith(("3", "5"))]


def test_the_chapter_lessons_are_all_there() -> None:
    assert {lesson.id for lesson in CHAPTER} >= {"3.2-blocking", "3.1.1-fork-server", "3.1.2-thread-server",
                                                 "3.3-select", "3.3-poll", "3.3-epoll", "5.1-select-limit",
                                                 "5.2-qps"}


@pytest.mark.parametrize("lesson", CHAPTER, ids=lambda lesson: lesson.id)
def test_each_lesson_names_its_service_and_its_wrong_programs_name_their_verdict(lesson) -> None:
    from socketlab_common.registry import MODELS

    assert lesson.service in {m.service for m in MODELS}
    assert lesson.reference_path.is_file() and lesson.checker_path.is_file()
    assert (lesson.folder / "README.md").is_file()
    for wrong in lesson.wrong:
        assert lesson.wrong_path(wrong).is_file() and wrong.fails


def test_select_poll_and_epoll_differ_only_in_the_mechanism() -> None:
    """`diff select_server.py poll_server.py` is the lesson: the rest is the same, line for line."""
    def changed(a: str, b: str) -> list[str]:
        def body(name: str) -> list[str]:
            return (LESSONS / name).read_text(encoding="utf-8").split('"""', 2)[2].splitlines()
        return [line[2:] for line in difflib.ndiff(body(a), body(b)) if line[:2] in ("- ", "+ ")]

    assert all(re.search(r"poll|POLL", line) for line in changed("3.3-poll/poll_server.py",
                                                                 "3.3-epoll/epoll_server.py"))
    assert len(changed("3.3-select/select_server.py", "3.3-poll/poll_server.py")) <= 30  # of ~130 lines, both files
