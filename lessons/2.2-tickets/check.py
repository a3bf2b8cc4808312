"""Checker of lesson 2.2-tickets: ten windows (threads) sell tickets T1..T500, each exactly once.

The program runs on its own host; the checker reads what it prints. Expectations, in
order: the windows sell at the same time (in the first 3 s after the first sale, far more
tickets than one window selling one per 0.1 s could); it ends by itself; every ticket from
T1 to T500 is sold exactly once and no other; in order; by all ten windows.
"""
import re
import time
from collections import Counter

from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed

TOTAL = 500
WINDOWS = 10
PACE = 0.1            # seconds a window takes to sell one ticket (the notes' sleep(0.1))
WATCH = 3.0           # seconds of selling the checker counts
TOGETHER = 60         # tickets in WATCH seconds: twice what one window at a time could sell
# "w3 窗口卖出：T128": several threads' prints may share a line, so every sale is found, not every line
SALE = re.compile(r"w(\d+)[^\dwT]*T(-?\d+)")


def sales(text: str) -> list[tuple[int, int]]:
    """(window, ticket) for every sale printed, in the order printed."""
    return [(int(w), int(t)) for w, t in SALE.findall(text)]


def ticket_problems(sold: list[tuple[int, int]], total: int = TOTAL) -> tuple[list[str], list[str]]:
    """What is wrong with the tickets sold, in Chinese and in English (empty lists: nothing)."""
    counts = Counter(t for _, t in sold)
    twice = sorted(t for t, n in counts.items() if n > 1 and 1 <= t <= total)
    missing = [t for t in range(1, total + 1) if t not in counts]
    extra = sorted(t for t in counts if not 1 <= t <= total)
    zh, en = [], []
    if twice:
        zh.append(f"{len(twice)} 张票卖了不止一次（T{twice[0]} 卖了 {counts[twice[0]]} 次）")
        en.append(f"{len(twice)} tickets sold more than once (T{twice[0]} {counts[twice[0]]} times)")
    if missing:
        zh.append(f"{len(missing)} 张票没有卖出（例如 T{missing[0]}）")
        en.append(f"{len(missing)} tickets never sold (T{missing[0]}, say)")
    if extra:
        zh.append(f"卖出了不存在的票（例如 T{extra[0]}）")
        en.append(f"tickets that do not exist were sold (T{extra[0]}, say)")
    return zh, en


def in_order(sold: list[tuple[int, int]]) -> bool:
    tickets = [t for _, t in sold]
    return tickets == sorted(tickets)


def check(run: Checkup, program):
    shop = run.start(program, stdin="")
    first = time.monotonic() + run.bound(15)
    while time.monotonic() < first and not sales(shop.output()) and shop.alive():
        time.sleep(0.05)
    if not sales(shop.output()):
        shop.stop()
        yield failed("没有看到卖票的输出", "no ticket sale was printed",
                     "每卖一张票打印一行，例如 print(\"%s 窗口卖出：%s\" % (w, t)) -> w1 窗口卖出：T1",
                     "print a line per ticket sold, e.g. w1 窗口卖出：T1 (window, then ticket)",
                     shop.crash_detail() or tail(shop.output()), key="sold")
        return
    started = time.monotonic()
    # a measurement, not a wait for a condition: count what three seconds of selling give
    while time.monotonic() < started + WATCH and shop.alive():
        time.sleep(0.05)
    early = len(sales(shop.output()))
    if shop.alive() and early < TOGETHER:
        shop.stop()
        yield failed(f"{WATCH:g} 秒只卖出 {early} 张票：窗口是一个一个卖的，不是同时卖",
                     f"{early} tickets in {WATCH:g} s: the windows sell one at a time, not together",
                     "卖票的 sleep(0.1) 放在锁外面：锁只保护“看票数、取号、减 1”这几步",
                     "do the sleep(0.1) of a sale outside the lock: lock only the check, the take and the -1",
                     tail(shop.output(), 3), key="together")
        return
    yield passed(f"{WINDOWS} 个窗口同时卖票（{WATCH:g} 秒内卖出 {early} 张以上）" if shop.alive() else
                 f"{WINDOWS} 个窗口同时卖票（{WATCH:g} 秒内就卖完了）",
                 f"the windows sell together ({early}+ tickets in {WATCH:g} s)" if shop.alive() else
                 f"the windows sell together (all sold within {WATCH:g} s)", key="together")

    limit = TOTAL * PACE / WINDOWS * 3 + 5
    code = shop.wait_exit(limit)
    if code is None:
        shop.stop()
        yield failed(f"{limit:g} 秒内没有卖完、结束", f"it did not finish selling within {limit:g} s",
                     "票卖完（票数为 0）时每个窗口都要退出循环；主线程 join 所有线程后结束",
                     "every window must leave its loop when no ticket is left; the main thread joins them and ends",
                     tail(shop.output(), 3), key="exit")
        return
    crashed = "Traceback" in shop.errors() or "Exception in thread" in shop.errors()
    if code != 0 or crashed:
        yield failed("程序出错了" if crashed else f"程序以状态 {code} 退出",
                     "it raised an exception" if crashed else f"it exited with status {code}",
                     "看下面的错误输出", "read the error output below", shop.crash_detail(), key="exit")
    else:
        yield passed("卖完后程序自己结束了", "it ended by itself once every ticket was sold", key="exit")

    sold = sales(shop.output())
    zh, en = ticket_problems(sold)
    if zh:
        yield failed("；".join(zh), "; ".join(en),
                     "看剩余票数、取号、票数减 1 要在同一把锁里一次做完（with lock:），中间别的窗口不能插进来",
                     "check the count, take the number and subtract one under one lock (with lock:), "
                     "so no other window can step in between",
                     "\n".join(f"w{w} T{t}" for w, t in sold[:4]), key="sold")
        return
    yield passed(f"T1 到 T{TOTAL} 每张票正好卖出一次", f"every ticket T1..T{TOTAL} sold exactly once", key="sold")

    if in_order(sold):
        yield passed("票按照顺序卖出", "the tickets were sold in order", key="order")
    else:
        yield failed("票没有按照顺序打印", "the tickets were not printed in order",
                     "在锁里面打印卖出的票：取号和打印之间别的窗口不能插进来",
                     "print the sale inside the lock, so no other window prints in between", key="order")

    windows = {w for w, _ in sold}
    if windows >= set(range(1, WINDOWS + 1)):
        yield passed(f"w1 到 w{WINDOWS} 每个窗口都卖出了票", f"each window w1..w{WINDOWS} sold tickets", key="windows")
    else:
        yield failed(f"只有 {len(windows)} 个窗口卖出了票", f"only {len(windows)} windows sold tickets",
                     f"创建 {WINDOWS} 个线程，名字 w1..w{WINDOWS}，每个线程卖完一张后让出锁",
                     f"start {WINDOWS} threads named w1..w{WINDOWS}; each lets go of the lock after a sale",
                     key="windows")
