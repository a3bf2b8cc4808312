"""The pure parts of the thread lessons' checkers (2.2-tickets, 2.3.x) and the kit's thread views."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from socketlab.lessons.catalog import find
from socketlab.lessons.kit import ThreadInfo, all_asleep, parse_task_stats, program_command


def checker(lesson_id: str):
    return find(lesson_id).load_checker()


# --- kit ------------------------------------------------------------------------------------------

def test_program_command_adds_the_environment_and_keeps_exec() -> None:
    line = program_command("my prog.py", ("a b",), "/tmp/p.pid", {"PYTHONFAULTHANDLER": "1"})
    assert line.startswith("echo $$ > /tmp/p.pid; cd ")
    words = shlex.split(line.split(" && exec ", 1)[1])
    assert words == ["env", "PYTHONFAULTHANDLER=1", "python3", "-u", "/work/my prog.py", "a b"]
    assert shlex.split(program_command("x.py", (), "/p").split(" && exec ", 1)[1]) == ["python3", "-u", "/work/x.py"]


def test_a_watched_program_runs_niced_under_its_own_pid() -> None:
    words = shlex.split(program_command("x.py", (), "/p", watched=True).split(" && exec ", 1)[1])
    assert words[:3] == ["nice", "-n", "10"] and words[3:] == ["python3", "-u", "/work/x.py"]


def own_threads() -> list[ThreadInfo]:
    text = ""
    for tid in os.listdir("/proc/self/task"):
        try:
            text += Path(f"/proc/self/task/{tid}/stat").read_text()
        except FileNotFoundError:  # a thread that has just ended
            pass
    return parse_task_stats(text)


def test_task_stats_of_this_very_process() -> None:
    """Read this test's own /proc threads: a helper blocked on an Event shows up, asleep (S)."""
    import threading
    gate = threading.Event()
    helper = threading.Thread(target=gate.wait)
    helper.start()
    try:
        deadline = time.monotonic() + 5
        state = ""
        while state != "S" and time.monotonic() < deadline:  # until it has reached gate.wait()
            state = next((t.state for t in own_threads() if t.tid == helper.native_id), "")
        assert state == "S"
        threads = own_threads()
        assert {t.tid for t in threads} >= {os.getpid(), helper.native_id}
        assert all(t.cpu_ticks >= 0 for t in threads)
    finally:
        gate.set()
        helper.join()


def test_task_stats_name_with_spaces_and_parentheses() -> None:
    line = "42 (my (odd) name) S 1 42 42 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 3 0 100 0 0\n"
    assert parse_task_stats(line) == [ThreadInfo(42, "S", 10)]


def test_all_asleep_tells_blocked_from_spinning() -> None:
    idle = [ThreadInfo(1, "S", 50), ThreadInfo(2, "S", 3)]
    assert all_asleep(idle, [ThreadInfo(1, "S", 50), ThreadInfo(2, "S", 4)])
    assert not all_asleep(idle, [ThreadInfo(1, "S", 50), ThreadInfo(2, "R", 4)])
    assert not all_asleep(idle, [ThreadInfo(1, "S", 80), ThreadInfo(2, "S", 3)])
    assert not all_asleep([], idle)


# --- 2.2-tickets ------------------------------------------------------------------------------------

def test_ticket_sales_are_found_even_when_prints_share_a_line() -> None:
    tickets = checker("2.2-tickets")
    text = "w1 窗口卖出：T1w2 窗口卖出：T2\n\nw10 窗口卖出：T3\n票已卖完\n"
    assert tickets.sales(text) == [(1, 1), (2, 2), (10, 3)]


def test_ticket_problems_name_twice_missing_and_extra() -> None:
    tickets = checker("2.2-tickets")
    assert tickets.ticket_problems([(1, t) for t in range(1, 501)]) == ([], [])
    sold = [(1, 1), (2, 1), (3, 1)] + [(1, t) for t in range(4, 501)] + [(4, 501)]
    zh, en = tickets.ticket_problems(sold)
    assert "T1 卖了 3 次" in zh[0] and "2 tickets never sold (T2" in en[1] and "T501" in en[2]
    assert tickets.in_order([(1, 1), (2, 2)]) and not tickets.in_order([(1, 2), (2, 1)])


# --- 2.3.2-threads -------------------------------------------------------------------------------------

def test_the_main_line_must_follow_every_password() -> None:
    joined_last = checker("2.3.2-threads").joined_last
    joined = "口令：T0 等待口令\nT1 收到口令 天王盖地虎：宝塔镇河妖T0 收到口令 天王盖地虎：宝塔镇河妖\n\n全部结束\n"
    assert joined_last(joined) == (2, True)
    not_joined = "口令：全部结束\nT1 收到口令 天王盖地虎：宝塔镇河妖\nT0 收到口令 天王盖地虎：宝塔镇河妖\n"
    assert joined_last(not_joined) == (2, False)
    assert joined_last("口令：\n") == (0, False)


# --- 2.3.4-lock ----------------------------------------------------------------------------------------

def test_slips_file_sums_to_what_the_checker_expects(tmp_path: Path) -> None:
    lock = checker("2.3.4-lock")
    total = lock.write_slips(tmp_path, count=1000, seed=7)
    amounts = [int(line) for line in (tmp_path / "slips.txt").read_text().splitlines()]
    assert len(amounts) == 1000 and sum(amounts) == total and min(amounts) >= 1 and max(amounts) <= 100
    assert lock.write_slips(tmp_path, count=1000, seed=8) != total
    assert lock.last_number("存款单 1000000 张，余额 50430003 元\n") == 50430003
    assert lock.last_number("nothing") is None


# --- 2.3.5-deadlock ------------------------------------------------------------------------------------

DEADLOCK = textwrap.dedent("""\
    import threading
    a, b = threading.Lock(), threading.Lock()
    both = threading.Barrier(2)
    def one():
        with a:
            both.wait()
            with b:
                pass
    def two():
        with b:
            both.wait()
            with a:
                pass
    t1 = threading.Thread(target=one); t2 = threading.Thread(target=two)
    t1.start(); t2.start()
    t1.join()
""")


def test_stuck_lines_from_a_real_faulthandler_dump(tmp_path: Path) -> None:
    """A real deadlock, dumped by faulthandler on SIGABRT: each thread's line of the program is found."""
    program = tmp_path / "dead.py"
    program.write_text(DEADLOCK)
    proc = subprocess.Popen([sys.executable, str(program)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"}, text=True)
    try:
        def look() -> list[ThreadInfo]:
            text = ""
            for tid in os.listdir(f"/proc/{proc.pid}/task"):
                try:
                    text += Path(f"/proc/{proc.pid}/task/{tid}/stat").read_text()
                except FileNotFoundError:
                    pass
            return parse_task_stats(text)

        deadline = time.monotonic() + 10
        stalled = False
        while not stalled and time.monotonic() < deadline:  # until 3 threads sleep and burn no CPU
            before = look()
            time.sleep(0.1)  # the interval the CPU time is measured over
            stalled = len(before) == 3 and all_asleep(before, look(), idle_ticks=0)
        assert stalled
        proc.send_signal(signal.SIGABRT)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    deadlock = checker("2.3.5-deadlock")
    stuck = {(line, function) for _, line, function in deadlock.stuck_lines(err, "dead.py")}
    assert stuck == {(7, "one"), (12, "two"), (16, "<module>")}
    assert deadlock.source_line(program, 7) == "with b:"


def test_balances_are_read_from_each_transfer_line() -> None:
    balances = checker("2.3.5-deadlock").balances
    assert balances("A 转给 B 10 元：A=90 B=110\n转账结束：A=100 B=100\n") == [(90, 110), (100, 100)]


# --- 2.3.6-gil -----------------------------------------------------------------------------------------

def test_gil_timings_in_either_language() -> None:
    timings = checker("2.3.6-gil").timings
    printed = "CPU 核数：2\n单线程: 1.5 秒\n多线程 threads: 1.61 s\n多进程：0.8 秒\n"
    assert timings(printed) == {"serial": 1.5, "threads": 1.61, "processes": 0.8}
    assert timings("serial 2\nThreads took 2.1 s\n") == {"serial": 2.0, "threads": 2.1}


def test_gil_tree_sample_counts_children_and_their_cpu() -> None:
    gil = checker("2.3.6-gil")
    stats = ("1 (docker-init) S 0 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0\n"
             "10 (python3) S 1 10 10 0 -1 0 0 0 0 0 100 5 40 2 20 0 1 0\n"
             "11 (python3) R 10 10 10 0 -1 0 0 0 0 0 30 1 0 0 20 0 1 0\n"
             "12 (python3) R 10 10 10 0 -1 0 0 0 0 0 31 0 0 0 20 0 1 0\n"
             "13 (python3) Z 10 10 10 0 -1 0 0 0 0 0 9 0 0 0 20 0 1 0\n")
    sample = gil.parse_tree(stats, 10, 5.0)
    assert sample == gil.Sample(5.0, 1, 2, 100 + 5 + 40 + 2 + 31 + 31 + 9)
    assert gil.parse_tree(stats, 99, 5.0) is None
    samples = [gil.Sample(0.0, 1, 0, 0), gil.Sample(1.0, 1, 4, 150), gil.Sample(2.0, 1, 4, 350)]
    assert gil.share(samples, 0.5, 2.5) == 2.0
    assert gil.share(samples, 1.5, 2.5) is None


# --- 2.3.4-order ---------------------------------------------------------------------------------------

def test_the_notes_sequence_and_where_it_goes_wrong() -> None:
    order = checker("2.3.4-order")
    want = order.expected()
    assert "".join(want) == "".join(f"{2 * k + 1}{2 * k + 2}{chr(65 + k)}" for k in range(26))
    assert want[:6] == ["1", "2", "A", "3", "4", "B"] and want[-3:] == ["51", "52", "Z"]
    assert order.first_difference(want, want) is None
    assert order.first_difference(["1", "A", "2"], want) == 1
    assert order.first_difference(want[:5], want) == 5
    assert order.first_difference([*want, "x"], want) == len(want)
