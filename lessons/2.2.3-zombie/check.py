"""Checker of lesson 2.2.3-zombie: children that end while their parent runs on leave no zombie.

The learner's program runs on its own host: it starts three children that print a line
and end, then the parent keeps running, waiting for Enter (stdin), as the notes' parent
keeps running in `while True: pass`. Once the children have printed, a probe on the host
looks at the program's tree for a second (/proc: what `ps` shows): no child left in state
Z (the parent reaped them with join(), or the system did after signal(SIGCHLD, SIG_IGN)),
and the parent waiting, not spinning on a core. Then Enter: the program ends, status 0.
The three children printed PIDs of their own, not the parent's.

The program's output, as the exercise asks: each child prints `w1 PID=57 干完了`.
"""
import re
import time

from socketlab.lessons.kit import Checkup, parse_json, probe_script, tail
from socketlab.lessons.servers import spinning
from socketlab.lessons.verdict import Verdict, failed, passed

CHILDREN = 3
DONE = re.compile(r"(w\d+)\s*,?\s*PID\s*[=:]?\s*(\d+)", re.I)


def printed(text: str) -> dict[str, int]:
    """Each child's name and the PID it printed (`w1 PID=57 干完了`)."""
    found: dict[str, int] = {}
    for match in DONE.finditer(text):
        found.setdefault(match[1], int(match[2]))
    return found


def wait_printed(program, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + program.checkup.bound(timeout)
    while time.monotonic() < deadline and program.alive():
        if len(printed(program.output())) >= count:
            return True
        time.sleep(0.05)
    return len(printed(program.output())) >= count


def children_verdict(lines: dict[str, int], root: int | None) -> Verdict:
    """Three workers that printed three PIDs of their own, none the parent's.

    Their PIDs are all there is to see: a child that prints a line and ends lives a few
    milliseconds, which no look at the host from outside can be sure to catch.
    """
    pids = set(lines.values())
    problem = ""
    if len(lines) < CHILDREN:
        problem = f"found {len(lines)} 'wN PID=...' lines, expected {CHILDREN}"
    elif root in pids:
        problem = f"a worker printed the program's own PID {root}: it ran in the parent"
    elif len(pids) < len(lines):
        problem = f"the workers printed {len(pids)} different PIDs for {len(lines)} workers"
    if not problem:
        return passed(f"{CHILDREN} 个子进程运行过，PID 各不相同，都不是父进程的 {root}",
                      f"{CHILDREN} child processes ran, each its own PID, none the parent's {root}", key="children")
    return failed(f"没有 {CHILDREN} 个子进程", f"not {CHILDREN} child processes",
                  "用 Process(target=worker, args=(...)) 创建，p.start() 启动；每个子进程打印 'w1 PID=... 干完了'",
                  "create them with Process(target=worker, args=(...)) and p.start(); each prints "
                  "'w1 PID=... 干完了'", problem, key="children")


def check(run: Checkup, program):
    prog = run.start(program)
    verdicts = []
    if not wait_printed(prog, CHILDREN, 15) or not prog.alive():
        code = prog.wait_exit(1)
        if code is not None:
            yield failed("子进程结束后，父进程没有继续运行", "the parent did not keep running after its children",
                         "子进程都启动后，父进程用 input() 等待回车（笔记里是 while True: pass）",
                         "once the children are started, let the parent wait for Enter with input() "
                         "(the notes' while True: pass)", prog.crash_detail() or tail(prog.output(), 4), key="waits")
            return
    # the children have printed their last line; a second's look shows who is left, and how the parent waits
    look = parse_json(run.probe(prog.host, probe_script("proc_watch"), "usage", prog.pidfile, "1", "0",
                                timeout=15)) or {}
    if not look:
        verdicts.append(failed("看不到程序的进程", "could not look at the program's processes", key="checker"))
    elif look["zombies"]:
        verdicts.append(failed(f"子进程结束后留下了 {look['zombies']} 个僵尸进程（ps 里的 Z）",
                               f"the children left {look['zombies']} zombies behind (Z in ps)",
                               "在父进程里 signal(SIGCHLD, SIG_IGN)（在创建子进程之前），或者对每个子进程 p.join()",
                               "call signal(SIGCHLD, SIG_IGN) in the parent (before starting the children), "
                               "or p.join() each child", f"{look['zombies']} processes in state Z under the "
                               f"program, {look['processes'] - 1} children still running", key="zombies"))
    else:
        verdicts.append(passed("子进程结束了，父进程还在运行，没有僵尸进程",
                               "the children ended while the parent runs on, and no zombie is left", key="zombies"))
    if look and spinning(look):
        verdicts.append(failed("父进程在空转，占着 CPU", "the parent spins, using the CPU",
                               "不要 while True: pass；用 input() 等待（阻塞时让出 CPU，ps 里是 S 状态）",
                               "no while True: pass; wait with input() (blocked, it leaves the CPU: state S in ps)",
                               f"CPU {look['cpu']:.0%} of a core, ready to run {look['running']:.0%} of the time",
                               key="cpu"))
    elif look:
        verdicts.append(passed("父进程在等待，不占 CPU", "the parent waits without using the CPU", key="cpu"))

    prog.send("\n")
    prog.close_stdin()
    code = prog.wait_exit(4)
    if code is None:
        prog.stop()
        verdicts.append(failed("按回车后程序在 4 秒内没有结束", "the program did not end within 4 s of Enter",
                               "父进程用 input() 等待，收到回车就结束",
                               "let the parent wait with input() and end after it",
                               tail(prog.output(), 3), key="ends"))
    elif code != 0:
        verdicts.append(failed(f"按回车后程序以状态 {code} 退出", f"after Enter the program exited with status {code}",
                               "看下面的错误输出", "read its error output below", prog.crash_detail(), key="ends"))
    else:
        verdicts.append(passed("按回车后程序正常结束", "after Enter the program ended, status 0", key="ends"))

    yield children_verdict(printed(prog.output()), prog.pid())
    yield from verdicts
