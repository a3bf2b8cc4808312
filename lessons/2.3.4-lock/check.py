"""Checker of lesson 2.3.4-lock: four threads deposit a million slips into one balance, under a Lock.

The checker writes a fresh slips.txt (a million random amounts, so no answer can be
learned by heart) into the program's working directory, runs the program on its own host
and compares the last number it prints with the sum it knows. Without a lock, a thread
switch between reading balance and writing it back erases other threads' deposits: the
balance comes out short, by a lot, run after run.
"""
import random
import re
import shutil
import tempfile
from pathlib import Path

from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed

SLIPS = 1_000_000   # enough work for many thread switches (one every 5 ms): lost deposits are sure


def write_slips(folder: Path, count: int = SLIPS, seed: int | None = None) -> int:
    """Write folder/slips.txt (one amount of 1..100 a line); the sum the balance must come to."""
    rng = random.Random(seed)
    money = [rng.randint(1, 100) for _ in range(count)]
    (folder / "slips.txt").write_text("".join(f"{m}\n" for m in money), encoding="ascii")
    return sum(money)


def last_number(text: str) -> int | None:
    """The last integer a program printed (its balance), or None."""
    numbers = re.findall(r"-?\d+", text)
    return int(numbers[-1]) if numbers else None


def check(run: Checkup, program):
    folder = Path(tempfile.mkdtemp(prefix="socketlab-slips-"))
    try:
        expected = write_slips(folder)
        bank = run.start(program, stdin="", files=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    code = bank.wait_exit(25)
    if code is None:
        bank.stop()
        yield failed("25 秒内没有结束", "it did not end within 25 s",
                     "每个线程处理完自己的存款单就返回；主线程 join 所有线程后打印余额",
                     "each thread returns once its slips are done; the main thread joins them, then prints",
                     tail(bank.output(), 3), key="exit")
        return
    if code != 0 or "Exception in thread" in bank.errors():
        yield failed(f"程序出错了（退出状态 {code}）", f"it failed (exit status {code})",
                     "看下面的错误输出；存款单在当前目录的 slips.txt 里，每行一个金额",
                     "read the error output below; the slips are in slips.txt (current folder), "
                     "one amount a line", bank.crash_detail(), key="exit")
        return
    yield passed("程序自己结束了", "it ended by itself, status 0", key="exit")

    balance = last_number(bank.output())
    if balance == expected:
        yield passed(f"余额正确：{expected} 元，一分没丢", f"the balance is right: {expected}, not a cent lost",
                     key="balance")
        return
    if balance is None:
        yield failed("没有打印余额", "it printed no balance", "最后打印余额，例如 print(\"余额 %d 元\" % balance)",
                     "print the balance last, e.g. print(\"余额 %d 元\" % balance)", key="balance")
        return
    lost = expected - balance
    yield failed(f"余额 {balance} 元，应为 {expected} 元：" + (f"丢了 {lost} 元" if lost > 0 else f"多了 {-lost} 元"),
                 f"the balance is {balance}, it should be {expected}: "
                 + (f"{lost} lost" if lost > 0 else f"{-lost} too many"),
                 "balance += ... 是读、加、写回几步，线程会在中间切换：用所有线程共用的同一把 Lock 把它包起来",
                 "balance += ... is read, add, write back: a thread may switch in between; wrap it in "
                 "one Lock that all threads share (with lock:)",
                 tail(bank.output(), 2), key="balance")
