"""Checker of lesson 3.2-blocking: a server that does other work while no client comes
(setblocking(False), BlockingIOError) and gives up on a silent client (settimeout).

The server runs on its own host; clients come from another. Expectations, in order:
listen on 8888; while nobody connects, it keeps printing (it is not stuck in accept); and
it does so without a busy loop (CPU measured on its host); echo; a client that connects
and says nothing is dropped after its timeout (it sees the server close), and the next
client is served.
"""
from socketlab.lessons.servers import LISTEN_TIMEOUT, PORT, TEXTS, EchoServer, Text, spinning
from socketlab.lessons.verdict import failed

IDLE_SECONDS = 3.0

TEXTS_BLOCKING = {
    "echo": TEXTS["echo"].with_hint(
        "accept 成功后，循环 recv 并把收到的数据 sendall 回去，直到 recv 返回 b''",
        "once accept succeeds, loop: recv, then sendall what came, until recv returns b''"),
    "silent": TEXTS["silent"].with_hint(
        "connfd.settimeout(3)：recv 最多等 3 秒，超时抛出 timeout；捕获它，关闭这个连接，回去 accept",
        "connfd.settimeout(3): recv waits at most 3 s, then raises timeout; catch it, close that "
        "connection, go back to accept"),
}

IDLE = Text(
    "没有客户端时程序没有卡在 accept：{seconds:g} 秒里打印了 {lines} 行",
    "with no client it is not stuck in accept: {lines} lines printed in {seconds:g} s",
    "没有客户端时程序什么也没做（{seconds:g} 秒里打印了 {lines} 行）：它卡在 accept 里了",
    "with no client it did nothing ({lines} lines printed in {seconds:g} s): it is stuck in accept",
    "sockfd.setblocking(False)；accept 抛出 BlockingIOError 时做点别的（比如每秒打印一行日志），再回来 accept",
    "sockfd.setblocking(False); when accept raises BlockingIOError do something else (print a log line "
    "every second, say), then try accept again")

CPU = Text(
    "等待期间不空转：CPU 只用了一个核的 {cpu:.0%}",
    "no busy loop while waiting: {cpu:.0%} of a core",
    "等待期间在空转：CPU 用了一个核的 {cpu:.0%}，{running:.0%} 的时间在运行（ps 里的 R 状态）",
    "a busy loop while waiting: {cpu:.0%} of a core, running {running:.0%} of the time (state R in ps)",
    "非阻塞的 accept 立即返回：抛出 BlockingIOError 后要 sleep 一会儿再试，否则循环一刻不停地占着 CPU",
    "a non-blocking accept returns at once: sleep a little after BlockingIOError, or the loop keeps a "
    "core busy")

UNCAUGHT = ("设置为非阻塞以后，没有客户端时 accept 立即抛出 BlockingIOError：用 try/except BlockingIOError 捕获它",
            "once non-blocking, accept raises BlockingIOError at once when no client waits: catch it with "
            "try/except BlockingIOError")


def uncaught(server) -> list:
    """The verdict that names the mistake when the program died of an uncaught BlockingIOError.

    Whether it was seen listening before it died is a race; the cause is the same either way.
    """
    if "BlockingIOError" not in server.server.errors():
        return []
    return [failed("程序因为没有捕获的 BlockingIOError 退出了", "the program died of an uncaught BlockingIOError",
                   *UNCAUGHT, server.crash(), key="uncaught")]


def check(run, program):
    server = EchoServer(run, program, TEXTS_BLOCKING)
    listen = run.listening(server.server, PORT, timeout=LISTEN_TIMEOUT)
    yield listen
    if not listen.passed:
        yield from uncaught(server)
        return
    lines = len(server.server.output().splitlines())
    usage = server.look("usage", IDLE_SECONDS, PORT)
    printed = len(server.server.output().splitlines()) - lines
    verdict = IDLE.verdict(printed >= 2, "idle", server.crash(), lines=printed, seconds=IDLE_SECONDS)
    yield verdict
    if not verdict.passed:
        yield from uncaught(server)
        return
    verdict = CPU.verdict(bool(usage) and not spinning(usage), "cpu", cpu=usage.get("cpu", 0.0),
                          running=usage.get("running", 0.0))
    yield verdict
    if not verdict.passed:
        return
    yield from server.steps([("echo", [{"step": "echo"}]),
                             ("silent", [{"step": "silent", "timeout": 2, "close_within": 4}])])
