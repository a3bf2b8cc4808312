"""Checker of lesson 2.3.4-order: two threads print 1 2 A 3 4 B ... 51 52 Z, in exactly that order.

The program runs on its own host; the checker compares what it printed, token by token,
with the sequence of the notes' exercise, and points at the first place it goes astray.
Without synchronisation the order is left to thread switches and is wrong every time.
"""
from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed


def expected() -> list[str]:
    """1 2 A 3 4 B ... 51 52 Z: two numbers, then a letter."""
    tokens = []
    for k in range(26):
        tokens += [str(2 * k + 1), str(2 * k + 2), chr(ord("A") + k)]
    return tokens


def first_difference(got: list[str], want: list[str]) -> int | None:
    """The index of the first token that differs (or is missing or extra); None if none does."""
    for i, (a, b) in enumerate(zip(got, want, strict=False)):
        if a != b:
            return i
    return None if len(got) == len(want) else min(len(got), len(want))


def check(run: Checkup, program):
    prog = run.start(program, stdin="")
    code = prog.wait_exit(10)
    if code is None:
        prog.stop()
        yield failed("10 秒内没有结束：两个线程可能互相等着（死锁）",
                     "it did not end within 10 s: the two threads may wait for each other (deadlock)",
                     "开始前只有 lock2 是锁上的；每个线程 acquire 自己的锁，release 对方的锁",
                     "only lock2 is locked at the start; each thread acquires its own lock and releases the other's",
                     tail(prog.output(), 3), key="exit")
    elif code != 0 or "Exception in thread" in prog.errors():
        yield failed("程序出错了", "it failed", "看下面的错误输出", "read the error output below",
                     prog.crash_detail(), key="exit")
    else:
        yield passed("程序自己结束了", "it ended by itself", key="exit")

    got, want = prog.output().split(), expected()
    where = first_difference(got, want)
    if where is None:
        yield passed("顺序正确：12A34B……5152Z", "the order is right: 12A34B...5152Z", key="order")
        return
    shown_got = " ".join(got[max(0, where - 3):where + 4]) or "(nothing)"
    shown_want = " ".join(want[max(0, where - 3):where + 4]) or "(nothing)"
    yield failed(f"第 {where + 1} 个输出就不对了", f"the output goes wrong at item {where + 1}",
                 "两把锁：打印数字的线程先 acquire lock1，打印后 release lock2；打印字母的线程反过来；"
                 "开始前先锁上 lock2",
                 "two locks: the number thread acquires lock1, prints, releases lock2; the letter thread "
                 "the other way round; lock lock2 before starting them",
                 f"got:      {shown_got}\nexpected: {shown_want}", key="order")
