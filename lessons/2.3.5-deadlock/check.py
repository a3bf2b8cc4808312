"""Checker of lesson 2.3.5-deadlock: two threads transfer money both ways and never deadlock.

The program runs on its own host with PYTHONFAULTHANDLER=1. It passes when it ends by
itself with the money all there (A + B = 200 on every line, 100 and 100 at the end). If it
stops making progress instead, the checker shows that it is a deadlock the way one finds
one by hand: no output for a while, every thread asleep (state S in /proc, what ps -L
shows) and no CPU used; then SIGABRT makes faulthandler print where every thread is
stuck, and the checker shows those lines of the learner's file (two `with lock` lines).
"""
import re
import signal
import time
from pathlib import Path

from socketlab.lessons.kit import Checkup, all_asleep, tail
from socketlab.lessons.verdict import failed, passed

TRANSFERS = 10     # 5 each way
TOTAL = 200        # A + B, whatever the transfers
STALL = 3.0        # seconds without output before the checker looks for a deadlock
BALANCES = re.compile(r"A\s*=\s*(-?\d+)\D+?B\s*=\s*(-?\d+)")
FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def balances(text: str) -> list[tuple[int, int]]:
    """(A, B) of every line that prints both balances."""
    return [(int(a), int(b)) for a, b in BALANCES.findall(text)]


def stuck_lines(dump: str, filename: str) -> list[tuple[str, int, str]]:
    """From a faulthandler dump: (thread, line, function) of the innermost frame in `filename` per thread."""
    found = []
    for block in re.split(r"\n(?=(?:Current thread|Thread) 0x)", dump):
        head = re.match(r"(Current thread|Thread) (0x[0-9a-f]+)", block.strip())
        if not head:
            continue
        for path, line, function in FRAME.findall(block):
            if Path(path).name == filename:
                found.append(("main" if function == "<module>" else head.group(2), int(line), function))
                break
    return found


def source_line(program: Path, number: int) -> str:
    try:
        return program.read_text(encoding="utf-8", errors="replace").splitlines()[number - 1].strip()
    except (OSError, IndexError):
        return ""


def check(run: Checkup, program):
    prog = run.start(program, stdin="", env={"PYTHONFAULTHANDLER": "1"})
    deadline = time.monotonic() + run.bound(20)
    seen, changed = "", time.monotonic()
    stalled = False
    while prog.alive() and time.monotonic() < deadline:
        now = time.monotonic()
        if prog.output() != seen:
            seen, changed = prog.output(), now
        elif now - changed >= STALL:
            before = prog.threads()
            time.sleep(0.3)  # the interval the CPU time is measured over
            after = prog.threads()
            if prog.output() == seen and all_asleep(before, after):
                stalled = True
                break
            changed = time.monotonic()
        time.sleep(0.1)

    if stalled:
        threads = prog.threads()
        prog.signal(signal.SIGABRT)  # faulthandler: every thread's stack on stderr
        prog.wait_exit(5)
        stuck = stuck_lines(prog.errors(), program.name)
        lines = [f"{len(threads)} threads, all S (asleep), no CPU, no output for {STALL:g} s"]
        lines += [f"{who}: line {number} in {function}: {source_line(program, number)}"
                  for who, number, function in stuck]
        prog.stop()
        yield failed("死锁：所有线程都在睡眠等待，不占 CPU，也不再有输出",
                     "deadlock: every thread sleeps waiting, no CPU, no more output",
                     "看下面每个线程停在哪一行：每个都拿着一把锁在等另一把。所有线程按同样的顺序上锁（先 A 后 B）",
                     "see where each thread stopped: each holds a lock and waits for the other. "
                     "Take the locks in the same order in every thread (A, then B)",
                     "\n".join(lines), key="deadlock")
        return
    code = prog.wait_exit(1)
    if code is None:
        prog.stop()
        yield failed("20 秒内没有结束（也不像死锁：它还在输出或占着 CPU）",
                     "it did not end within 20 s (and does not look deadlocked: it prints or uses CPU)",
                     "每个线程转 5 次就结束；主线程 join 两个线程后打印余额",
                     "each thread makes 5 transfers and ends; the main thread joins both, then prints",
                     tail(prog.output(), 3), key="deadlock")
        return
    if code != 0:
        yield failed(f"程序以状态 {code} 退出", f"it exited with status {code}", "看下面的错误输出",
                     "read the error output below", prog.crash_detail(), key="deadlock")
        return
    yield passed("没有死锁：两个线程转完账，程序自己结束了",
                 "no deadlock: both threads made their transfers and it ended",
                 key="deadlock")

    seen = balances(prog.output())
    wrong = [(a, b) for a, b in seen if a + b != TOTAL]
    if len(seen) >= TRANSFERS + 1 and not wrong and seen[-1] == (100, 100):
        yield passed(f"{len(seen) - 1} 次转账，每次 A+B 都是 {TOTAL}，最后 A=100 B=100",
                     f"{len(seen) - 1} transfers, A+B always {TOTAL}, at the end A=100 B=100", key="money")
    else:
        yield failed("余额不对" if seen else "没有打印余额", "the balances are wrong" if seen else "no balance printed",
                     f"每次转账后打印 A=.. B=..（共 {TRANSFERS} 次），最后打印一次；转账要在两把锁里做",
                     f"print A=.. B=.. after each of the {TRANSFERS} transfers and once at the end; "
                     "transfer while holding both locks", tail(prog.output(), 3), key="money")
