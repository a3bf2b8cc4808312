"""Checking a learner's echo server: the steps chapter 3 and the closing chapter share.

Every server of these lessons speaks the lab's echo protocol (what comes in goes back,
byte for byte), as the lab's echo-* services do, so the same clients drive them all:
the probe probes/echo_probe.py runs on driver hosts, probes/proc_watch.py on the
server's own host (its processes, threads, descriptors, CPU). A lesson's check.py
picks the steps its model must pass and the hints that fit it:

    def check(run, program):
        server = EchoServer(run, program, {"crowd": TEXTS["crowd"].with_hint(zh, en)})
        listen = run.listening(server.server, PORT)
        yield listen
        ...
        for verdict in server.steps([("echo", [{"step": "echo"}]), ("split", [{"step": "split"}])]):
            yield verdict                       # stops at the first failure
        crowd, seen = server.crowd(hosts=2, connections=10, watch=True)
        yield crowd
        yield per_client_verdict("fork", seen, 20)

The texts of the verdicts, and every judgement on what the probes saw, are plain data
and pure functions here, unit tested without Docker.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..hosts import ClientHost
from .kit import Checkup, Program, parse_json, probe_script, tail
from .verdict import Verdict, failed, passed

PORT = 8888
LISTEN_TIMEOUT = 30.0
"""Seconds a program may take to listen: a busy machine starts Python slowly (an exit is seen at once)."""
MEETING_PORT = 9917
"""Where the driver hosts of one step meet (probes/echo_probe.py, Meeting): on the first of them."""


@dataclasses.dataclass(frozen=True)
class Text:
    """What a learner reads for one expectation: passed, failed, and how to fix it."""

    ok_zh: str
    ok_en: str
    bad_zh: str
    bad_en: str
    hint_zh: str = ""
    hint_en: str = ""

    def verdict(self, ok: bool, key: str, detail: str = "", **values) -> Verdict:
        if ok:
            return passed(self.ok_zh.format(**values), self.ok_en.format(**values), key=key, detail=detail)
        return failed(self.bad_zh.format(**values), self.bad_en.format(**values),
                      self.hint_zh.format(**values), self.hint_en.format(**values), detail, key=key)

    def with_hint(self, hint_zh: str, hint_en: str) -> Text:
        return dataclasses.replace(self, hint_zh=hint_zh, hint_en=hint_en)


RECONNECT = ("用 try/except ConnectionError 包住 recv 和 send（ConnectionResetError、BrokenPipeError 都是它的"
             "子类），出错就关闭这个连接，服务器继续运行",
             "wrap recv and send in try/except ConnectionError (ConnectionResetError and BrokenPipeError are "
             "both): close that connection and let the server go on")

TEXTS: dict[str, Text] = {
    "echo": Text(
        "一个客户端发消息，收到原样的回显",
        "a client's message comes back unchanged (echo)",
        "客户端没有收到原样的回显",
        "a client did not get its message back unchanged",
        "收到什么就原样 send 回去什么；看看程序是不是卡在了阻塞的 accept 或 recv 上",
        "send back exactly what you receive; see whether the program is stuck in a blocking accept or recv"),
    "split": Text(
        "一个汉字被拆在两个 TCP 段里发来，回显仍然完整",
        "a character split across two TCP segments still comes back whole",
        "一个汉字被拆在两个 TCP 段里发来，回显出错",
        "a character split across two TCP segments broke the echo",
        "TCP 是字节流，一次 recv 不等于一条消息：按字节回显，不要对每次 recv 的结果 decode()",
        "TCP is a byte stream and one recv is not one message: echo bytes, do not decode() each recv"),
    "crowd": Text(
        "{clients} 个客户端（{hosts} 台主机）同时连接，每个都及时收到自己的回复",
        "{clients} clients on {hosts} hosts at once: each got its own replies in time",
        "{clients} 个客户端（{hosts} 台主机）同时连接，有的没有及时收到自己的回复",
        "{clients} clients on {hosts} hosts at once: not every one got its own replies in time",
        "服务器要同时服务多个客户端，一个客户端不能让别人排队",
        "the server must serve many clients at once: one client must not make the others wait"),
    "silent": Text(
        "一个连上却一直不说话的客户端，不影响别的客户端",
        "a client that connects and says nothing holds up no one",
        "一个连上却一直不说话的客户端，让别的客户端等不到回复",
        "a client that connects and says nothing held up another one",
        "不要在不知道有没有数据的时候调用阻塞的 recv",
        "never call a blocking recv without knowing data is there"),
    "reset": Text(
        "客户端突然消失（RST）之后，服务器照常服务",
        "after a client vanishes (RST) the server goes on serving",
        "客户端突然消失（RST）之后，服务器不再服务",
        "after a client vanished (RST) the server stopped serving",
        *RECONNECT),
    "large": Text(
        "2 MiB 的回显，客户端发完才开始读：一个字节不少",
        "a 2 MiB echo, read only once all was sent: it arrives whole",
        "2 MiB 的回显，客户端发完才开始读：没有完整收到",
        "a 2 MiB echo, read only once all was sent: it did not arrive whole",
        "非阻塞的 send 可能只发出一部分（或抛出 BlockingIOError）：没发完的留在这个连接的缓冲区里，等它可写时再发",
        "a non-blocking send may send only part (or raise BlockingIOError): keep the rest in the connection's "
        "buffer and send it when the socket is writable"),
    "close": Text(
        "客户端关闭后，服务器也关闭了连接（客户端收到了 FIN）",
        "when the client closes, the server closes too (the client gets a FIN)",
        "客户端关闭后，服务器没有关闭连接（客户端等不到 FIN）",
        "the client closed, the server did not (no FIN came back)",
        "recv 返回 b'' 表示对方已经关闭：关闭这个连接套接字",
        "recv returning b'' means the peer has closed: close that socket"),
}


# ---------------------------------------------------------------- pure judgements

def step_verdict(key: str, result: dict | None, text: Text, crash: str = "", **values) -> Verdict:
    """The verdict of one probe step: its result (None: the probe never got that far)."""
    if result is not None and result.get("ok"):
        return text.verdict(True, key, **values)
    lines = []
    if result is None:
        lines.append("the probe did not report this step")
    elif result.get("error"):
        lines.append(f"client: {result['error']}")
    for failure in (result or {}).get("failures", [])[1:3]:
        lines.append(f"client: connection {failure['conn']}, message {failure['round']}: {failure['error']}")
    if crash:
        lines.append(crash)
    return text.verdict(False, key, "\n".join(lines), **values)


def merge_crowds(reports: list[dict | None]) -> dict:
    """One crowd result from the crowd steps of several hosts (a missing report fails it)."""
    steps = [r for r in reports if r is not None]
    failures = [f for r in steps for f in r.get("failures", [])]
    errors = [r.get("error", "") for r in steps if not r.get("ok")]
    if len(steps) < len(reports):
        errors.append("a client host's probe did not report")
    return {"ok": len(steps) == len(reports) and all(r.get("ok") for r in steps),
            "error": next((e for e in errors if e), ""), "failures": failures,
            "answered": sum(r.get("answered", 0) for r in steps)}


def spinning(usage: dict, cpu_limit: float = 0.3) -> bool:
    """A loop that never waits: it uses the CPU, or at least is always ready to run (a loaded machine
    may give it little CPU: the fraction of samples a thread was in state R tells it apart)."""
    return usage.get("cpu", 0.0) > cpu_limit or usage.get("running", 0.0) > 0.5


def cleanup_problems(before: dict, after: dict, close_wait: int, cpu_limit: float = 0.3,
                     fd_slack: int = 3) -> list[str]:
    """What is wrong once every client has left: a spinning loop, kept descriptors, half-closed sockets."""
    problems = []
    if spinning(after, cpu_limit):
        problems.append(f"CPU {after['cpu']:.0%} of a core, running {after.get('running', 0):.0%} of the time, "
                        "with no client connected (a loop spinning)")
    if after.get("fds", 0) > before.get("fds", 0) + fd_slack:
        problems.append(f"{after['fds']} open descriptors, {before['fds']} before the clients came")
    if close_wait:
        problems.append(f"{close_wait} connections in CLOSE_WAIT (closed by the client, never by the server)")
    return problems


def watched(seen: dict) -> bool:
    """Did the watch sample the server while clients were connected? (Not on a machine too busy to start it.)"""
    return bool(seen) and seen.get("met", True) and seen.get("samples", 1) > 0 and seen.get("max_accepted", 1) > 0


NOT_WATCHED = ("客户端在线时没能看到服务器的进程和线程（机器太忙？再检查一次）",
               "could not see the server's processes and threads while clients were connected "
               "(a busy machine? check again)")


def single_task_verdict(seen: dict, clients: int, hint_zh: str, hint_en: str) -> Verdict:
    """IO multiplexing: one process and one thread served every client (ps on the server's host)."""
    if not watched(seen):
        return failed(*NOT_WATCHED, key="single", detail=json.dumps(seen))
    procs, threads = seen.get("max_processes", 0), seen.get("max_threads", 0)
    detail = f"{clients} clients connected; seen at once: processes {procs}, threads {threads}"
    if procs <= 1 and threads <= 1:
        return passed(f"{clients} 个客户端同时在线，服务器始终只有 1 个进程、1 个线程",
                      f"with {clients} clients connected the server stayed one process with one thread",
                      key="single", detail=detail)
    return failed(f"服务器用了 {procs} 个进程、{threads} 个线程：IO 多路复用应该一个线程服务所有客户端",
                  f"the server used {procs} processes and {threads} threads: IO multiplexing serves every "
                  "client from one thread", hint_zh, hint_en, detail, key="single")


def cleanup_verdict(before: dict, after: dict, close_wait: int, hint_zh: str, hint_en: str) -> Verdict:
    """Once every client has left: no spinning loop, no kept descriptors, no CLOSE_WAIT."""
    if not after:
        return failed("没能看到服务器的 CPU 和文件描述符", "could not look at the server's CPU and descriptors",
                      key="cleanup")
    problems = cleanup_problems(before, after, close_wait)
    detail = (f"CPU {after.get('cpu', 0):.0%} of a core; descriptors {before.get('fds')} before, "
              f"{after.get('fds')} after; CLOSE_WAIT {close_wait}")
    if not problems:
        return passed("客户端都走了以后，服务器安静下来：不占 CPU，描述符都已关闭",
                      "once the clients left the server went quiet: no CPU, every descriptor closed",
                      key="cleanup", detail=detail)
    return failed("客户端都走了以后，服务器没有收拾干净", "once the clients left the server did not clean up",
                  hint_zh, hint_en, "\n".join(problems), key="cleanup")


def per_client_verdict(model: str, seen: dict, clients: int) -> Verdict:
    """fork: a child process per client; thread: a thread per client in one process (seen by ps).

    Judged against the connections the server had accepted at once (all `clients`, unless it
    never accepted them all).
    """
    if not watched(seen):
        return failed(*NOT_WATCHED, key="processes" if model == "fork" else "threads", detail=json.dumps(seen))
    procs, threads = seen.get("max_processes", 0), seen.get("max_threads", 0)
    together = max(1, min(clients, seen.get("max_accepted", clients)))
    detail = f"{together} connections accepted at once; seen at once: processes {procs}, threads {threads}"
    if model == "fork":
        return Text(
            "每个客户端一个子进程：{clients} 个客户端在线时同时有 {procs} 个进程",
            "a child process per client: {procs} processes at once with {clients} clients connected",
            "{clients} 个客户端在线时只看到 {procs} 个进程：不是每个客户端一个进程",
            "only {procs} processes with {clients} clients connected: not one process per client",
            "每 accept 一个连接，就 Process(target=handle, args=(c,)).start() 创建一个子进程为它服务",
            "for every accepted connection start a child: Process(target=handle, args=(c,)).start()",
        ).verdict(procs >= together + 1, "processes", detail, procs=procs, clients=together)
    return Text(
        "每个客户端一个线程：{clients} 个客户端在线时，一个进程里有 {threads} 个线程",
        "a thread per client: {threads} threads in one process with {clients} clients connected",
        "{clients} 个客户端在线时：{procs} 个进程、{threads} 个线程，不是一个进程里每个客户端一个线程",
        "{clients} clients connected: {procs} processes, {threads} threads, not a thread per client in one process",
        "每 accept 一个连接，就 Thread(target=handle, args=(c,)).start() 创建一个线程为它服务",
        "for every accepted connection start a thread: Thread(target=handle, args=(c,)).start()",
    ).verdict(procs == 1 and threads >= together + 1, "threads", detail, procs=procs, threads=threads,
              clients=together)


def reaped_verdict(after: dict) -> Verdict:
    """fork: once the clients left, their children have ended and been reaped (no <defunct>)."""
    zombies, procs = after.get("zombies", 0), after.get("processes", 0)
    detail = f"after the clients left: {procs} live processes, {zombies} zombies"
    if not after:
        return failed("没能看到服务器的进程", "could not look at the server's processes", key="zombies")
    if zombies:
        return failed(f"客户端走后留下 {zombies} 个僵尸进程（ps 里的 Z、<defunct>）",
                      f"the clients left {zombies} zombie processes behind (Z, <defunct> in ps)",
                      "父进程要回收结束的子进程：signal(SIGCHLD, handler)，在 handler 里调用 "
                      "multiprocessing.active_children()（用 os.fork 时循环 os.waitpid(-1, WNOHANG)）",
                      "the parent must reap its ended children: signal(SIGCHLD, handler) calling "
                      "multiprocessing.active_children() (with os.fork, loop on os.waitpid(-1, WNOHANG))",
                      detail, key="zombies")
    if procs > 1:
        return failed(f"客户端走后还有 {procs - 1} 个子进程没有结束",
                      f"{procs - 1} children still run after their clients left",
                      "recv 返回 b'' 表示客户端走了：跳出循环，关闭连接，子进程的函数返回，进程就结束了",
                      "recv returning b'' means the client left: leave the loop, close, return: the child ends",
                      detail, key="zombies")
    return passed("客户端走后，子进程都已结束并被回收：没有僵尸进程",
                  "once the clients left, every child had ended and been reaped: no zombies", key="zombies",
                  detail=detail)


def threads_ended_verdict(after: dict) -> Verdict:
    """thread: once the clients left, their threads have returned."""
    if not after:
        return failed("没能看到服务器的线程", "could not look at the server's threads", key="threads_end")
    extra = after.get("threads", 1) - 1
    if extra <= 0:
        return passed("客户端走后，为它们服务的线程都结束了", "once the clients left, their threads had ended",
                      key="threads_end")
    return failed(f"客户端走后还有 {extra} 个线程在运行", f"{extra} threads still run after their clients left",
                  "recv 返回 b'' 表示客户端走了：break 跳出循环、关闭连接，线程函数返回，线程就结束了",
                  "recv returning b'' means the client left: break, close the connection, return: the thread ends",
                  f"threads now: {after.get('threads')}", key="threads_end")


def parent_fds_verdict(before: dict, after: dict, clients: int, slack: int = 3) -> Verdict:
    """fork: the parent's descriptors do not grow with the clients it has served."""
    if not after or not before:
        return failed("没能看到父进程的文件描述符", "could not count the parent's descriptors", key="fds")
    grown = after.get("fds", 0) - before.get("fds", 0)
    detail = f"parent's open descriptors: {before.get('fds')} before, {after.get('fds')} after {clients} clients"
    if grown <= slack:
        return passed("父进程的文件描述符没有随客户端增多", "the parent's descriptors did not grow with its clients",
                      key="fds", detail=detail)
    return failed(f"服务过 {clients} 个客户端后，父进程多了 {grown} 个文件描述符",
                  f"after {clients} clients the parent holds {grown} more descriptors",
                  "父进程 start() 之后要 c.close()；不要把 signal(SIGCHLD, SIG_IGN) 和 multiprocessing 一起用："
                  "它再也收不到子进程的结束，每个子进程的两个管道一直不关。改用 SIGCHLD 处理函数调用 active_children()",
                  "the parent must c.close() after start(); do not pair signal(SIGCHLD, SIG_IGN) with multiprocessing: "
                  "it never learns a child ended and keeps two pipes per child open. Reap in a SIGCHLD handler "
                  "calling active_children()", detail, key="fds")


# ---------------------------------------------------------------- running things

def together(*calls: Callable[[], object]) -> list:
    """Run the calls at the same time (probes on several hosts); their results in order."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


class EchoServer:
    """The learner's echo server on its own host, driven from driver hosts, watched from its own."""

    def __init__(self, run: Checkup, program: Path, texts: dict[str, Text] | None = None) -> None:
        self.run = run
        self.program = program
        self.texts = {**TEXTS, **(texts or {})}
        self.server: Program = run.start(program)
        self._drivers: list[ClientHost] = []
        self.lag = 0.5  # seconds a probe takes to start on a host (docker exec); measured as probes run

    # --- hosts and probes ----------------------------------------------------------------------

    def drivers(self, count: int) -> list[ClientHost]:
        while len(self._drivers) < count:
            self._drivers.append(self.run.host())
        return self._drivers[:count]

    def probe(self, steps: list[dict], host: ClientHost | None = None, timeout: float = 20) -> list[dict]:
        """Run echo steps from a driver host; the results of the steps that ran."""
        host = host or self.drivers(1)[0]
        spec = json.dumps({"host": self.server.ip, "port": PORT, "steps": steps})
        started = time.monotonic()
        result = self.run.probe(host, probe_script("echo_probe"), spec, timeout=timeout)
        report = parse_json(result)
        if report is not None:
            busy = sum(step.get("elapsed", 0.0) for step in report["steps"])
            self.lag = min(5.0, max(self.lag, time.monotonic() - started - busy))
        if report is None:
            why = ("the client did not finish in time" if result.exit_code in (124, 137)
                   else tail(result.output, 3) or f"the client exited with status {result.exit_code}")
            return [{"ok": False, "error": why, "step": steps[0]["step"]}]
        return report["steps"]

    def look(self, mode: str, *args: object, timeout: float = 15) -> dict:
        """proc_watch on the server's host (see probes/proc_watch.py); {} if it could not look."""
        result = self.run.probe(self.server.host, probe_script("proc_watch"), mode, self.server.pidfile,
                                *map(str, args), timeout=timeout)
        return parse_json(result) or {}

    def crash(self) -> str:
        """The server's exit and last stderr lines if it has died ("" while it runs)."""
        if self.server.alive():
            return ""
        self.server.settle()
        return "server: " + self.server.crash_detail()

    # --- expectations ------------------------------------------------------------------------

    def verdict(self, key: str, result: dict | None, **values) -> Verdict:
        return step_verdict(key, result, self.texts[key], self.crash(), **values)

    def steps(self, plan: list[tuple[str, list[dict]]], timeout: float = 30) -> Iterator[Verdict]:
        """Run the steps of several expectations in one go from one driver host, in order.

        `plan` is [(key, [step, ...]), ...]; an expectation passes when all its steps do. The
        probe stops at the first failing step, so the verdicts stop there too: the last one
        yielded is the failure (check `.passed` to know whether to go on).
        """
        flat = [(key, step) for key, group in plan for step in group]
        results = self.probe([step for _key, step in flat], timeout=timeout)
        for key, group in plan:
            mine = [r for (k, _s), r in zip(flat, results, strict=False) if k == key]
            failing = next((r for r in mine if not r.get("ok")), None)
            if failing is None and len(mine) < len(group):
                failing = {"ok": False, "error": "the client stopped before this step"}
            yield self.verdict(key, failing or mine[-1])
            if failing is not None:
                return

    def meeting(self, hosts: list[ClientHost], timeout: float, watch: bool = False) -> list[dict]:
        """The `meet` option of a step run on `hosts` at once: the first leads, the others (and
        the watch on the server's host, with `watch`) report to it."""
        leader = hosts[0]
        return [{"peers": len(hosts) - 1 + watch, "port": MEETING_PORT, "timeout": timeout}] + [
            {"leader": leader.ip, "port": MEETING_PORT, "timeout": timeout} for _ in hosts[1:]]

    def crowd(self, hosts: int = 2, connections: int = 12, rounds: int = 3, watch: bool = False,
              timeout: float = 4.0, after: float = 1.0) -> tuple[Verdict, dict]:
        """Many clients at once from several hosts; with `watch`, the server's host is sampled meanwhile.

        The hosts (and the watch) meet before the clients connect and again before they let
        go (see Meeting in probes/echo_probe.py), so the server holds them all at once while
        the watch looks, however slow a busy machine is to start a probe; once they have left,
        the watch looks at how the server settles for up to `after` seconds. Returns the
        verdict and what the watch saw: max_processes, max_threads, max_accepted, and under
        "after" the server's CPU, state, descriptors and CLOSE_WAIT once the clients were gone
        ({} without a watch).
        """
        drivers = self.drivers(hosts)
        clients = hosts * connections
        timeout += self.lag  # a loaded machine forks and schedules slowly
        wait = 10 + 4 * self.lag  # for the slowest host to start its probe
        after += 2 * self.lag
        budget = wait * 2 + timeout * (rounds + 2) + after + 30  # a slow server that keeps moving is waited for
        meets = self.meeting(drivers, wait + timeout * (rounds + 1), watch=watch)
        step = {"step": "crowd", "connections": connections, "rounds": rounds, "timeout": timeout,
                "hold": 0.5 if watch else 0.0}
        calls = [lambda h=h, i=i: self.probe([{**step, "tag": f"h{i}", "meet": meets[i]}], host=h, timeout=budget)
                 for i, h in enumerate(drivers)]
        if watch:
            spec = {"clients": clients, "port": PORT, "seconds": budget - after, "leader": drivers[0].ip,
                    "meeting_port": MEETING_PORT, "after": after}
            calls.insert(0, lambda: self.look("watch", json.dumps(spec), timeout=budget + wait))
        results = together(*calls)
        seen = results.pop(0) if watch else {}
        merged = merge_crowds([r[0] if r else None for r in results])
        return self.verdict("crowd", merged, clients=clients, hosts=hosts), seen
