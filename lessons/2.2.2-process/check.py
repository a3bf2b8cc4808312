"""Checker of lesson 2.2.2-process: three children at once, joined, and a daemon child.

The learner's program runs on its own host, where a probe looks at its process tree every
20 ms from before it starts until it exits (start(watch=True)), so the checker sees its
children from outside, as `ps -ef` would. Expectations: three workers run at the same
time as children of the program (their printed PID is a child's, their PPID the
program's); the parent prints 全部结束 only after every worker's 结束 line (join waited);
the daemon child is gone when the parent ends by itself, and the program does end.

The program's output, as the exercise asks (one line each, any order between processes):
    w1 开始 PID=57 PPID=50      each worker, first
    w1 结束                     each worker, last
    守护进程 PID=56             the daemon child
    全部结束                    the parent, after join
"""
import re
import time
from dataclasses import dataclass, field

from socketlab.lessons.family import children_seen, most_at_once, root_pid
from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed

WORKERS = 3
# Searched anywhere, not line by line: with `python3 -u`, print() writes its text and its "\n" apart,
# so the lines of processes printing at the same moment interleave ("w1 结束w3 结束\n\n").
START = re.compile(r"(w\d+)\s*(?:开始|start)\s*,?\s*PID\s*[=:]?\s*(\d+)\s*,?\s*PPID\s*[=:]?\s*(\d+)", re.I)
END = re.compile(r"(w\d+)\s*(?:结束|end)", re.I)
GUARD = re.compile(r"(?:守护进程|daemon)\s*,?\s*PID\s*[=:]?\s*(\d+)", re.I)
DONE = re.compile(r"全部结束|all done", re.I)
FORMAT_ZH = "每个子进程先打印 'w1 开始 PID=... PPID=...'，最后打印 'w1 结束'"
FORMAT_EN = "each worker prints 'w1 开始 PID=... PPID=...' first and 'w1 结束' last"


@dataclass
class Printed:
    """What the program printed: workers' start and end, the daemon's PID, 全部结束 (positions in the output)."""

    starts: dict[str, tuple[int, int]] = field(default_factory=dict)   # name -> (PID, PPID)
    ends: dict[str, int] = field(default_factory=dict)                 # name -> where its 结束 is
    guard: int | None = None
    done: int | None = None                                            # where 全部结束 is


def read_output(text: str) -> Printed:
    printed = Printed()
    for match in START.finditer(text):
        printed.starts.setdefault(match[1], (int(match[2]), int(match[3])))
    for match in END.finditer(text):
        printed.ends.setdefault(match[1], match.start())
    if match := GUARD.search(text):
        printed.guard = int(match[1])
    if match := DONE.search(text):
        printed.done = match.start()
    return printed


def children_problem(printed: Printed, seen: dict, root: int, at_once: int) -> str:
    """Why the workers were not three children running at once ('' if they were)."""
    if len(printed.starts) < WORKERS:
        return f"found {len(printed.starts)} 'wN 开始 PID=... PPID=...' lines, expected {WORKERS}"
    for name, (pid, ppid) in sorted(printed.starts.items()):
        if pid == root:
            return f"{name} printed PID={pid}: the program's own PID, so it ran in the parent, not in a child"
        if ppid != root:
            return f"{name} printed PPID={ppid}, but the program's PID is {root}"
        if pid not in seen:
            return f"{name} printed PID={pid}, a process ps never saw as a child of the program ({root})"
    if at_once < WORKERS:
        return f"at most {at_once} children ran at the same time, expected {WORKERS}"
    return ""


def join_problem(printed: Printed) -> str:
    """Why 全部结束 does not prove the parent waited ('' if it does)."""
    if printed.done is None:
        return "the parent never printed 全部结束"
    missing = sorted(set(printed.starts) - set(printed.ends))
    if missing:
        return f"{', '.join(missing)} never printed its 结束 line"
    early = sorted(name for name, where in printed.ends.items() if where > printed.done)
    if early:
        return f"全部结束 came before the 结束 line of {', '.join(early)}"
    return ""


def wait_done(program, timeout: float) -> None:
    """Wait until the parent prints 全部结束 or the program exits (bounded)."""
    deadline = time.monotonic() + program.checkup.bound(timeout)
    while time.monotonic() < deadline and program.alive() and not DONE.search(program.output()):
        time.sleep(0.05)


def check(run: Checkup, program):
    prog = run.start(program, watch=True)
    wait_done(prog, 15)
    code = prog.wait_exit(4)
    if code is None:
        prog.stop()
    snapshots = prog.snapshots()
    printed = read_output(prog.output())
    root = root_pid(snapshots) or prog.pid()
    if code not in (0, None):
        yield failed(f"{prog.name} 以状态 {code} 退出", f"{prog.name} exited with status {code}",
                     "看下面的错误输出；先用 socketlab run 运行它", "read its error output below; run it with "
                     "`socketlab run` first", prog.crash_detail(), key="exit")
        return
    if root is None:
        yield failed("看不到程序的进程", "the program's process was never seen", key="checker")
        return

    seen = children_seen(snapshots)
    problem = children_problem(printed, seen, root, most_at_once(snapshots))
    if not problem:
        yield passed(f"{WORKERS} 个子进程同时运行，PID 各不相同，父进程都是 {root}",
                     f"{WORKERS} children ran at once, each its own PID, all with parent {root}", key="children")
    else:
        yield failed(f"没有看到 {WORKERS} 个子进程同时运行", f"{WORKERS} children were not seen running at once",
                     "用 p.start() 启动（不是 p.run()，也不是直接调用函数）；先全部 start，再统一 join；"
                     + FORMAT_ZH,
                     "start them with p.start() (not p.run(), not a plain call); start them all, then join "
                     "them all; " + FORMAT_EN, problem + "\n" + tail(prog.output(), 4), key="children")

    problem = join_problem(printed)
    if not problem:
        yield passed("“全部结束”在每个子进程结束之后才打印：join 等到了它们",
                     "全部结束 came after every worker's 结束 line: join() waited for them", key="join")
    else:
        yield failed("“全部结束”不能证明父进程等到了子进程", "全部结束 does not show that the parent waited",
                     "打印“全部结束”之前，对每个子进程调用 p.join()", "call p.join() on every worker before "
                     "printing 全部结束", problem + "\n" + tail(prog.output(), 4), key="join")

    if code is None:
        yield failed("父进程打印完之后，程序在 4 秒内没有结束", "the program did not end within 4 s of its last line",
                     "一直运行的子进程要在 start() 之前设 p.daemon = True：父进程退出时它随之结束；"
                     "否则父进程退出时要等它",
                     "set p.daemon = True before start() on the child that runs forever: it ends with the "
                     "parent; otherwise the parent waits for it at exit", tail(prog.output(), 4), key="daemon")
        return
    if printed.guard is None or printed.guard not in seen:
        yield failed("没有看到守护进程", "no daemon child was seen",
                     "再创建一个一直运行的子进程，设 daemon = True，让它打印 '守护进程 PID=...'",
                     "start one more child that runs forever, with daemon = True, printing '守护进程 PID=...'",
                     tail(prog.output(), 4), key="daemon")
        return
    left = [p for p in prog.host_processes() if p.pid == printed.guard]
    if left:
        yield failed("父进程结束了，守护进程还在", "the parent ended and the daemon child is still there",
                     "在 start() 之前设 p.daemon = True", "set p.daemon = True before start()",
                     f"{left[0].pid} {left[0].stat} {left[0].command}", key="daemon")
    else:
        yield passed(f"父进程自己结束了，守护进程 {printed.guard} 随之结束",
                     f"the parent ended by itself and the daemon child {printed.guard} ended with it", key="daemon")
