"""Checker of lesson 2.3.6-gil: the same CPU-bound work serially, in 4 threads, in 4 processes.

The program prints three timings (serial, threads, processes). The checker watches it from
outside while it runs, through /proc on its host: how many threads its process has, how
many child processes live at once, and how much CPU the whole tree burns (so it can tell
a busy machine from a slow program). Expectations: three timings that fit the time the
checker saw it run; 4 threads seen, all ended by the time the threads' time was printed;
4 processes seen at once and, when the host has 2+ cores and the program got a core,
faster than serial. Timings are judged by ratios with wide margins, never absolute.
"""
import re
import threading
import time
from typing import NamedTuple

from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed

WORKERS = 4
KINDS = (("serial", ("串行", "serial", "单线程", "单进程")),
         ("threads", ("线程", "thread")),
         ("processes", ("进程", "process")))
NUMBER = re.compile(r"\d+(?:\.\d+)?")
PERIOD = 0.05         # seconds between two looks at /proc
MARK = "==="          # ends one look
BUSY = 0.7            # below this share of a core in the serial part, the machine is too busy to judge speed
FASTER = 0.9          # processes must take at most this share of the serial time (2+ cores)
SPREAD = 1.3          # cores the processes must have got for their time to be judged


class Sample(NamedTuple):
    at: float          # checker's clock
    threads: int       # threads of the program's own process
    children: int      # live (not zombie) processes below it
    cpu: int           # CPU ticks of the whole tree so far (itself, its reaped children, live ones)


def timings(text: str) -> dict[str, float]:
    """{"serial": s, "threads": s, "processes": s} from the lines printed (the first line of each kind)."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        lower = line.lower()
        kind = next((name for name, words in KINDS if any(w in lower for w in words)), None)
        numbers = NUMBER.findall(line)
        if kind and numbers and kind not in found:
            found[kind] = float(numbers[-1])
    return found


def parse_tree(stats: str, root: int, at: float) -> Sample | None:
    """A Sample from every /proc/*/stat line of the host (None if the root is gone)."""
    table = {}
    for line in stats.splitlines():
        head, _, rest = line.rpartition(")")
        fields = rest.split()
        pid = head.split("(", 1)[0].strip()
        if pid.isdigit() and len(fields) >= 18:
            table[int(pid)] = (int(fields[1]), fields[0], int(fields[17]),
                               int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
    if root not in table:
        return None
    below, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, row in table.items() if row[0] in frontier and pid not in below}
        below += sorted(frontier)
    cpu = table[root][3] + table[root][4] + sum(table[pid][3] for pid in below)
    live = sum(1 for pid in below if table[pid][1] != "Z")
    return Sample(at, table[root][2], live, cpu)


def share(samples: list[Sample], start: float, end: float) -> float | None:
    """Cores the tree used between `start` and `end` (from the samples inside; None if too few)."""
    inside = [s for s in samples if start <= s.at <= end]
    if len(inside) < 2 or inside[-1].at - inside[0].at < 0.3:
        return None
    return (inside[-1].cpu - inside[0].cpu) / 100 / (inside[-1].at - inside[0].at)


def check(run: Checkup, program):
    prog = run.start(program, stdin="")
    started = time.monotonic()
    result = prog.host.sh("nproc", timeout=run.bound(10))
    cores = int(result.stdout.strip()) if result.stdout.strip().isdigit() else 1
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch_output() -> None:  # when each timing line appears, to the checker's clock
        while not done.is_set():
            for kind in timings(prog.output()):
                seen.setdefault(kind, time.monotonic())
            done.wait(0.05)

    watcher = threading.Thread(target=watch_output, daemon=True)
    watcher.start()
    samples: list[Sample] = []
    root = prog.pid()
    deadline = time.monotonic() + run.bound(10)
    while root is None and prog.alive() and time.monotonic() < deadline:  # its shell writes the pid file first
        time.sleep(0.05)
        root = prog.pid()
    sampler = None
    if root is not None:  # one shell on the host looks at /proc every 50 ms while the program lives
        sampler = prog.host.popen("sh", "-c", f"while kill -0 {root} 2>/dev/null; do "
                                  f"cat /proc/[0-9]*/stat 2>/dev/null; echo {MARK}; sleep {PERIOD}; done")

        def read_samples() -> None:
            rows: list[str] = []
            for raw in sampler.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                if line != MARK:
                    rows.append(line)
                    continue
                sample = parse_tree("\n".join(rows), root, time.monotonic())
                if sample is not None:
                    samples.append(sample)
                rows = []

        reader = threading.Thread(target=read_samples, daemon=True)
        reader.start()
    else:
        reader = None
    try:
        code = prog.wait_exit(50)
    finally:
        done.set()
        watcher.join(1)
        if sampler is not None:
            sampler.kill()
            sampler.wait(5)
        if reader is not None:
            reader.join(5)
    ended = time.monotonic()
    for kind in timings(prog.output()):
        seen.setdefault(kind, ended)

    if code is None:
        prog.stop()
        yield failed("50 秒内没有结束", "it did not end within 50 s",
                     "把 N 改小一些；线程和进程都要 join", "make N smaller; join the threads and the processes",
                     tail(prog.output(), 4), key="output")
        return
    times = timings(prog.output())
    if code != 0 or len(times) < 3:
        missing = [kind for kind, _ in KINDS if kind not in times]
        yield failed(f"没有打印三个时间（缺少 {', '.join(missing)}）" if code == 0 else f"程序以状态 {code} 退出",
                     f"three timings were not printed (missing {', '.join(missing)})" if code == 0
                     else f"it exited with status {code}",
                     "打印三行：串行 serial: 1.23 秒 / 线程 threads: 1.25 秒 / 进程 processes: 0.70 秒",
                     "print three lines: serial: 1.23 s / threads: 1.25 s / processes: 0.70 s",
                     prog.crash_detail() or tail(prog.output(), 4), key="output")
        return
    serial, threads, processes = times["serial"], times["threads"], times["processes"]
    shown = f"serial {serial:.2f} s, threads {threads:.2f} s, processes {processes:.2f} s"
    total = ended - started
    if serial < 0.3:
        yield failed(f"串行只用了 {serial:.2f} 秒：太短，量不出什么",
                     f"serial took {serial:.2f} s: too short to measure",
                     "把 N 调大，让串行做 4 次要 1 秒以上", "make N bigger: 4 serial runs should take over a second",
                     shown, key="output")
        return
    if serial + threads + processes > total + 1.0:
        yield failed(f"打印的时间加起来超过了程序实际运行的 {total:.1f} 秒",
                     f"the printed times add up to more than the {total:.1f} s it really ran",
                     "用 time.time() 在每种做法前后各取一次，相减",
                     "take time.time() before and after each part; subtract",
                     shown, key="output")
        return
    yield passed(f"三个时间：串行 {serial:.2f}、线程 {threads:.2f}、进程 {processes:.2f} 秒"
                 f"（程序共运行 {total:.1f} 秒）",
                 f"three timings: {shown} (it ran {total:.1f} s)", key="output")

    serial_share = share(samples, started, seen["serial"])
    busy = serial_share is not None and serial_share < BUSY
    most_threads = max((s.threads for s in samples), default=0)
    after = [s for s in samples if s.at > seen["threads"] + 0.3 and s.at < seen["processes"]]
    lingering = max((s.threads for s in after), default=0)
    if most_threads < WORKERS + 1:
        yield failed(f"没有看到 {WORKERS} 个线程同时运行（最多 {most_threads} 个线程）",
                     f"{WORKERS} threads were never seen running (at most {most_threads} threads)",
                     f"创建 {WORKERS} 个 Thread 做同样的 count(N)，全部 start 之后再一起 join",
                     f"start {WORKERS} Threads running the same count(N), then join them all", shown, key="threads")
    elif lingering >= WORKERS + 1 or threads < 0.1 * serial:
        yield failed("打印线程时间时，线程还没做完", "when the threads' time was printed, the threads had not finished",
                     "停表之前 join 每个线程：计时要等它们全部结束",
                     "join every thread before you stop the clock", shown, key="threads")
    # Serial runs first, while the checker is still starting its watch: a busy moment there slows it
    # alone. So threads count as "much faster" only when they also beat the processes, which no
    # CPU-bound threads under the GIL can.
    elif not busy and threads < 0.6 * serial and threads < 0.7 * processes:
        yield failed(f"4 个线程比串行快了很多（{threads:.2f} 秒对 {serial:.2f} 秒）：它们做的是同样的工作吗？",
                     f"4 threads were much faster than serial ({threads:.2f} s against {serial:.2f} s): same work?",
                     "每个线程做和串行一次一样的 count(N)；有 GIL，计算密集的线程不会更快",
                     "each thread runs the same count(N) as one serial run; with the GIL they cannot be faster",
                     shown, key="threads")
    elif busy:
        yield passed(f"{WORKERS} 个线程：{threads:.2f} 秒，串行 {serial:.2f} 秒（机器太忙，不比较速度）",
                     f"{WORKERS} threads: {threads:.2f} s, serial {serial:.2f} s (the machine is busy: "
                     "speed not compared)", key="threads")
    else:
        yield passed(f"{WORKERS} 个线程：{threads:.2f} 秒，串行 {serial:.2f} 秒：GIL 下没有变快",
                     f"{WORKERS} threads: {threads:.2f} s against serial {serial:.2f} s: no faster under the GIL",
                     key="threads")

    most_children = max((s.children for s in samples), default=0)
    if most_children < 2:
        yield failed(f"没有看到几个进程同时运行（最多 {most_children} 个子进程）",
                     f"the processes never ran at once (at most {most_children} child process)",
                     f"先 start 全部 {WORKERS} 个 Process，再逐个 join；不要 start 一个 join 一个",
                     f"start all {WORKERS} Processes, then join them; not start-join one at a time",
                     shown, key="processes")
        return
    if cores < 2:
        yield passed(f"{most_children} 个进程同时运行；这台主机只有 1 个核，多进程也快不了",
                     f"{most_children} processes ran at once; this host has 1 core, so they cannot be faster",
                     key="processes")
        return
    if busy:
        yield passed(f"{most_children} 个进程同时运行（机器太忙：串行时只分到 {serial_share:.2f} 个核，不比较速度）",
                     f"{most_children} processes ran at once (the machine is busy: {serial_share:.2f} of a core "
                     "while serial; speed not compared)", key="processes")
        return
    processes_share = share(samples, seen["threads"], seen["processes"])
    if processes > FASTER * serial and processes_share is not None and processes_share < SPREAD:
        yield passed(f"{most_children} 个进程同时运行（机器太忙：它们只分到 {processes_share:.2f} 个核，不比较速度）",
                     f"{most_children} processes ran at once (the machine is busy: they got {processes_share:.2f} "
                     "cores; speed not compared)", key="processes")
        return
    if processes <= FASTER * serial:
        yield passed(f"{most_children} 个进程同时运行，{cores} 个核：{processes:.2f} 秒，比串行 {serial:.2f} 秒快",
                     f"{most_children} processes at once on {cores} cores: {processes:.2f} s, faster than serial "
                     f"{serial:.2f} s", key="processes")
    else:
        yield failed(f"{cores} 个核上，4 个进程（{processes:.2f} 秒）不比串行（{serial:.2f} 秒）快",
                     f"on {cores} cores, 4 processes ({processes:.2f} s) are no faster than serial ({serial:.2f} s)",
                     "每个进程各有解释器和 GIL，应该真正同时运行：全部 start 之后再 join",
                     "each process has its own interpreter and GIL, so they should really run at once: "
                     "start them all, then join", shown, key="processes")
