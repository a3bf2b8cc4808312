"""Checker of lesson 3.1.1-fork-server: a process per client, reaped when it leaves.

The server runs on its own host; clients talk to it from two other hosts, while the
checker looks at the server's host from inside (/proc: what ps and pstree show).
Expectations, in order: listen on 8888; echo; the server's FIN when a client closes (the
parent closed its copy of the connection); a client that vanishes (RST) stops nothing;
20 clients on two hosts at once, each with its own replies (an iterative server makes the
second one wait); one child process per client while they are connected; no zombie or
leftover child once they leave; the parent's descriptors do not grow with its clients.
"""
from socketlab.lessons.servers import (
    LISTEN_TIMEOUT,
    PORT,
    TEXTS,
    EchoServer,
    parent_fds_verdict,
    per_client_verdict,
    reaped_verdict,
    together,
)

CLIENTS_PER_HOST = 10

TEXTS_FORK = {
    "crowd": TEXTS["crowd"].with_hint(
        "accept 之后马上创建子进程去服务这个客户端，父进程立刻回到 accept；不要 join 等子进程结束",
        "after accept, start a child for that client and go straight back to accept; do not join() it"),
    "close": TEXTS["close"].with_hint(
        "父进程在 p.start() 之后要 c.close()：子进程已经复制了一份连接，父进程那份不关，连接就关不掉",
        "the parent must c.close() after p.start(): the child has its own copy, and while the parent keeps "
        "its copy the connection never closes"),
}


def check(run, program):
    server = EchoServer(run, program, TEXTS_FORK)
    listen = run.listening(server.server, PORT, timeout=LISTEN_TIMEOUT)
    yield listen
    if not listen.passed:
        return
    plan = [("echo", [{"step": "echo"}]), ("close", [{"step": "halfclose"}]),
            ("reset", [{"step": "vanish"}, {"step": "echo"}])]
    before, first = together(lambda: server.look("now"), lambda: list(server.steps(plan)))
    for verdict in first:
        yield verdict
        if not verdict.passed:
            return
    crowd, seen = server.crowd(hosts=2, connections=CLIENTS_PER_HOST, watch=True, after=3.0)
    yield crowd
    if not crowd.passed:
        return
    clients = 2 * CLIENTS_PER_HOST
    verdict = per_client_verdict("fork", seen, clients)
    yield verdict
    if not verdict.passed:
        return
    after = seen.get("after", {})
    verdict = reaped_verdict(after)
    yield verdict
    if not verdict.passed:
        return
    yield parent_fds_verdict(before, after, clients + 4)
