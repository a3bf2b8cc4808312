"""Checker of lesson 2.3.2-threads: five threads wait on an Event the main thread sets.

The program runs on its own host, its stdin a pipe the checker holds, so it stays in the
waiting state until the checker types the password: no guessing how long anything takes.
While it waits, the checker reads /proc on its host (what `ps -L` and `top -H` show):
one process, 1 + 5 threads, all asleep and using no CPU (blocked in e.wait() and
input(), not spinning). Then it sends the password and expects each of the five threads
to print it (they read the global after the Event), and the main thread's last line after
all of theirs (it joined them).
"""
import time

from socketlab.lessons.kit import Checkup, ThreadInfo, all_asleep, tail
from socketlab.lessons.verdict import failed, passed

GUARDS = 5
PASSWORD = "天王盖地虎"
STILL = 0.3      # seconds between two looks at the threads' CPU time


def states(threads: list[ThreadInfo]) -> str:
    return " ".join(f"{t.tid}:{t.state}" for t in threads)


def joined_last(output: str, word: str = PASSWORD) -> tuple[int, bool]:
    """How many times the password was printed, and whether a line comes after the last of them.

    Threads printing at once may share a line (print writes the text and the newline
    separately), so the password is counted, not the lines; the main thread's last line is
    whatever follows the line break after the last password.
    """
    count = output.count(word)
    if not count:
        return 0, False
    rest = output[output.rindex(word):]
    return count, bool(rest.partition("\n")[2].strip())


def check(run: Checkup, program):
    prog = run.start(program)
    deadline = time.monotonic() + run.bound(10)
    threads: list[ThreadInfo] = []
    while time.monotonic() < deadline and prog.alive():
        threads = prog.threads()
        if len(threads) >= GUARDS + 1:
            break
        time.sleep(0.1)
    processes = prog.processes()
    if len(threads) < GUARDS + 1:
        prog.stop()
        yield failed(f"没有看到 {GUARDS + 1} 个线程（看到 {len(threads)} 个）" if threads else "程序还没等口令就结束了",
                     f"{GUARDS + 1} threads never showed up (saw {len(threads)})" if threads
                     else "it ended before asking for the password",
                     f"创建 {GUARDS} 个 Thread 并 start()，它们在 e.wait() 等待；主线程用 input() 读口令",
                     f"start {GUARDS} Threads that wait in e.wait(); the main thread reads the password with input()",
                     prog.crash_detail() or tail(prog.output(), 3), key="threads")
        return
    yield passed(f"等口令时：{len(processes)} 个进程，{len(threads)} 个线程（主线程 + {len(threads) - 1} 个）",
                 f"while waiting: {len(processes)} process, {len(threads)} threads (main + {len(threads) - 1})",
                 key="threads")

    quiet = False
    deadline = time.monotonic() + run.bound(4)
    while not quiet and time.monotonic() < deadline and prog.alive():
        before = prog.threads()
        time.sleep(STILL)  # the interval the CPU time is measured over
        after = prog.threads()
        quiet = all_asleep(before, after)
    if quiet:
        yield passed("等待时所有线程都在睡眠（状态 S），不占 CPU",
                     "while waiting every thread sleeps (state S), no CPU",
                     key="wait")
    else:
        yield failed("等口令时线程没有睡眠：它们在空转，占着 CPU",
                     "the waiting threads do not sleep: they spin, using CPU",
                     "用 Event：线程里 e.wait() 会阻塞睡眠，主线程 e.set() 时才醒来；不要 while 循环查看变量",
                     "use an Event: e.wait() blocks (sleeps) until the main thread calls e.set(); "
                     "do not loop on a variable", "threads " + states(prog.threads()), key="wait")
        prog.stop()
        return
    if PASSWORD in prog.output():
        prog.stop()
        yield failed("还没给口令，就有线程打印了口令", "a thread printed the password before it was given",
                     "线程先 e.wait()，主线程读到口令、放进全局变量后再 e.set()",
                     "the threads wait in e.wait(); the main thread stores the password, then calls e.set()",
                     tail(prog.output(), 3), key="event")
        return

    prog.send(PASSWORD + "\n")
    prog.close_stdin()
    code = prog.wait_exit(6)
    if code is None:
        detail = "threads " + states(prog.threads())
        prog.stop()
        yield failed("给了口令 6 秒后程序还没结束：线程没有醒来",
                     "6 s after the password it still runs: the threads never woke",
                     "读到口令后调用 e.set()，等在 e.wait() 的线程才会继续",
                     "call e.set() once the password is read: only then do the threads in e.wait() go on",
                     detail, key="event")
        return
    count, after = joined_last(prog.output())
    if count >= GUARDS:
        yield passed(f"给了口令，{count} 个线程都醒来并打印了它",
                     f"given the password, {count} threads woke and printed it", key="event")
    else:
        yield failed(f"口令只打印了 {count} 次", f"the password was printed {count} times only",
                     f"每个线程 e.wait() 之后打印它收到的口令（全局变量 s），共 {GUARDS} 个线程",
                     f"after e.wait(), each of the {GUARDS} threads prints the password it got (the global s)",
                     prog.crash_detail() or tail(prog.output(), 3), key="event")
    if after:
        yield passed("主线程 join 了所有线程，最后一行在它们之后",
                     "the main thread joined them: its last line comes after theirs",
                     key="join")
    else:
        yield failed("主线程的最后一行不在所有线程之后", "the main thread's last line does not come after the threads'",
                     "e.set() 之后对每个线程 join()，等它们都结束了再打印“全部结束”",
                     "after e.set(), join() every thread, then print the last line", tail(prog.output(), 3), key="join")
    if code == 0:
        yield passed("程序正常结束", "it ended by itself, status 0", key="exit")
    else:
        yield failed(f"程序以状态 {code} 退出", f"it exited with status {code}", "看下面的错误输出",
                     "read the error output below", prog.crash_detail(), key="exit")
