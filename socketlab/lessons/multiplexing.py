"""The checker the select, poll and epoll lessons share: one flow, the hints of each mechanism.

The three reference servers differ only in how they ask which sockets are ready, so
they meet the same expectations, in this order: listen on 8888; echo; a character split
across segments; a silent client holds up no one; a client that vanishes (RST) stops
nothing; a 2 MiB echo to a slow reader arrives whole; a client's close is answered by the
server's; 24 clients on two hosts at once, each with its own replies, while the server's
host sees one process with one thread; once everyone has left the server is quiet (no
CPU, no kept descriptors, no CLOSE_WAIT). The first six run in one probe on one driver
host, the crowd on two more with the watch on the server's host: three rounds of
`docker exec` after the server listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .kit import Checkup
from .servers import LISTEN_TIMEOUT, PORT, TEXTS, EchoServer, cleanup_verdict, single_task_verdict, together
from .verdict import Verdict

WAIT_ZH = {"select": "select", "poll": "p.poll()", "epoll": "p.poll()"}
FORGET_ZH = {
    "select": "从监控的列表（字典）里删掉它，再 close()",
    "poll": "先 p.unregister(fd)，再从字典里删掉并 close()",
    "epoll": "先 p.unregister(fd)，再从字典里删掉并 close()",
}
FORGET_EN = {
    "select": "remove it from the watched list (dict), then close() it",
    "poll": "p.unregister(fd) first, then remove it from the dict and close() it",
    "epoll": "p.unregister(fd) first, then remove it from the dict and close() it",
}


def texts_for(mechanism: str) -> dict:
    """The shared verdict texts with the hints that name this mechanism's calls."""
    wait = WAIT_ZH[mechanism]
    large_zh, large_en = TEXTS["large"].hint_zh, TEXTS["large"].hint_en
    if mechanism == "epoll":
        large_zh += "；边缘触发（EPOLLET）只提醒一次：每次事件都要一直 recv 到 BlockingIOError"
        large_en += "; edge-triggered (EPOLLET) tells you once: recv until BlockingIOError on every event"
    return {
        "echo": TEXTS["echo"].with_hint(
            f"收到的数据原样发回；只在 {wait} 报告就绪时才 accept 或 recv，不要在它之外阻塞",
            f"send back what you receive; accept or recv only when {mechanism} reports the socket ready, "
            "never block outside it"),
        "crowd": TEXTS["crowd"].with_hint(
            f"监听套接字和每个连接都交给 {mechanism} 监控，都设为非阻塞；只处理它报告就绪的那些",
            f"give the listening socket and every connection to {mechanism}, all non-blocking; handle only "
            "the ones it reports ready"),
        "silent": TEXTS["silent"].with_hint(
            f"新客户端 accept 之后，加入监控就回到 {wait}；等它报告这个连接可读了再 recv",
            f"after accept, add the new client to the watched set and go back to {mechanism}; recv only when "
            "it reports that connection readable"),
        "large": TEXTS["large"].with_hint(large_zh, large_en),
        "close": TEXTS["close"].with_hint(
            f"recv 返回 b''（或 ConnectionError）表示客户端走了：{FORGET_ZH[mechanism]}",
            f"recv returning b'' (or a ConnectionError) means the client left: {FORGET_EN[mechanism]}"),
    }


def check_multiplexed(run: Checkup, program: Path, mechanism: str) -> Iterator[Verdict]:
    server = EchoServer(run, program, texts_for(mechanism))
    listen = run.listening(server.server, PORT, timeout=LISTEN_TIMEOUT)
    yield listen
    if not listen.passed:
        return
    plan = [("echo", [{"step": "echo"}]), ("split", [{"step": "split"}]), ("silent", [{"step": "silent"}]),
            ("reset", [{"step": "vanish"}, {"step": "echo"}]), ("large", [{"step": "large"}]),
            ("close", [{"step": "halfclose"}])]
    before, first = together(lambda: server.look("now"), lambda: list(server.steps(plan)))
    for verdict in first:
        yield verdict
        if not verdict.passed:
            return
    crowd, seen = server.crowd(hosts=2, connections=12, watch=True)
    yield crowd
    if not crowd.passed:
        return
    single = single_task_verdict(
        seen, 24, f"不要为客户端创建进程或线程：由 {mechanism} 告诉你哪个套接字就绪，一个循环处理所有客户端",
        f"create no process or thread per client: {mechanism} tells you which socket is ready, one loop serves "
        "them all")
    yield single
    if not single.passed:
        return
    after = seen.get("after", {})
    yield cleanup_verdict(
        before, after, after.get("close_wait", 0),
        f"关闭的连接要{FORGET_ZH[mechanism]}；否则它每次都被报告为就绪，循环空转",
        f"for a closed connection, {FORGET_EN[mechanism]}; otherwise it is reported ready every time and the "
        "loop spins")
