"""Checker of lesson 2.2.5-ipc: N messages through a Queue from one process to another, a count back
through a Pipe, and an end.

The learner's program runs on its own host as `ipc.py N` (N chosen at random each time, so
nothing can be hard-coded). Expectations: the producer and the consumer are two processes
other than the program's own (the PIDs they print); the consumer prints `收到 消息1` ... `收到 消息N`, each
once, in order; the parent prints the consumer's count, received through the Pipe
(`一共收到 N 条`); the program ends by itself, status 0, within a bound (a consumer that never
gets an end marker blocks in q.get() for ever).
"""
import random
import re

from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed

END_WITHIN = 8
RECEIVED = re.compile(r"收到\s*消息\s*(\d+)")
COUNT = re.compile(r"一共收到\s*(\d+)")
ROLE = re.compile(r"(生产者|消费者)\s*,?\s*PID\s*[=:]?\s*(\d+)", re.I)


def order_problem(received: list[int], n: int) -> str:
    """Why the consumer's messages are not 1..n, each once, in order ('' if they are)."""
    if received == list(range(1, n + 1)):
        return ""
    if not received:
        return f"the consumer printed no '收到 消息i' line (expected {n})"
    missing = sorted(set(range(1, n + 1)) - set(received))
    if missing:
        return f"received {len(received)} of {n}; missing 消息{missing[0]}" + (" and more" if len(missing) > 1 else "")
    if len(received) > len(set(received)):
        return "some messages were received twice"
    first = next(i for i, (got, want) in enumerate(zip(received, range(1, n + 1), strict=False)) if got != want)
    return f"out of order: message {first + 1} received was 消息{received[first]}"


def roles_problem(roles: dict[str, int], root: int | None) -> str:
    """Why the producer and the consumer were not two child processes ('' if they were).

    Their PIDs are all there is to see: a producer may put its messages and end within a
    few milliseconds, which no look at the host from outside can be sure to catch.
    """
    for role in ("生产者", "消费者"):
        if role not in roles:
            return f"no '{role} PID=...' line"
    producer, consumer = roles["生产者"], roles["消费者"]
    if producer == consumer:
        return f"the producer and the consumer printed the same PID {producer}"
    if root in (producer, consumer):
        return f"PID {root} is the parent's own: that role ran in the parent"
    return ""


def check(run: Checkup, program):
    n = random.randint(20, 60)
    prog = run.start(program, str(n))
    code = prog.wait_exit(END_WITHIN)
    if code is None:
        prog.stop()
    if code not in (0, None):  # a crash first: what follows would only fail with it
        yield failed(f"程序以状态 {code} 退出", f"the program exited with status {code}",
                     "看下面的错误输出", "read its error output below", prog.crash_detail(), key="ends")
        return
    out = prog.output()
    roles = {role: int(pid) for role, pid in ROLE.findall(out)}
    problem = roles_problem(roles, prog.pid())
    if not problem:
        yield passed("生产者和消费者是两个子进程", "the producer and the consumer are two child processes",
                     key="processes")
    else:
        yield failed("生产者和消费者不是两个子进程", "the producer and the consumer are not two child processes",
                     "用 Process 创建两个子进程并 start()；各自先打印 '生产者 PID=...'、'消费者 PID=...'",
                     "start two child processes with Process; each prints '生产者 PID=...' or '消费者 PID=...' "
                     "first", problem + "\n" + tail(out, 3), key="processes")

    problem = order_problem([int(i) for i in RECEIVED.findall(out)], n)
    if not problem:
        yield passed(f"消费者按顺序收到了全部 {n} 条消息", f"the consumer got all {n} messages, in order", key="order")
    else:
        yield failed(f"消费者没有按顺序收到全部 {n} 条消息", f"the consumer did not get all {n} messages in order",
                     "进程的内存各自独立，全局变量传不过去：在父进程里创建 q = Queue()，生产者 q.put()，"
                     "消费者 q.get()，每收到一条打印 '收到 消息i'",
                     "processes do not share memory, so a global cannot carry messages: create q = Queue() in "
                     "the parent, q.put() in the producer, q.get() in the consumer, print '收到 消息i' for each",
                     problem + "\n" + tail(out, 3), key="order")

    counts = [int(c) for c in COUNT.findall(out)]
    if counts and counts[-1] == n:
        yield passed(f"父进程通过管道得知消费者收到 {n} 条", f"the parent learned through the Pipe that {n} arrived",
                     key="pipe")
    else:
        yield failed("父进程没有通过管道得到正确的条数", "the parent did not get the right count through the Pipe",
                     "fd1, fd2 = Pipe()；消费者取完后 fd2.send(count)，父进程 fd1.recv() 后打印 '一共收到 N 条'",
                     "fd1, fd2 = Pipe(); the consumer calls fd2.send(count) when done, the parent fd1.recv() and "
                     "prints '一共收到 N 条'", f"printed {counts[-1]}, expected {n}" if counts
                     else "no '一共收到 N 条' line", key="pipe")

    if code == 0:
        yield passed("程序正常结束", "the program ended by itself, status 0", key="ends")
    else:
        yield failed(f"程序在 {END_WITHIN} 秒内没有结束", f"the program did not end within {END_WITHIN} s",
                     "消费者怎么知道消息取完了？生产者最后 q.put(None)，消费者取到 None 就 break",
                     "how does the consumer know there is no more? the producer ends with q.put(None), "
                     "the consumer breaks on None", tail(out, 3), key="ends")
