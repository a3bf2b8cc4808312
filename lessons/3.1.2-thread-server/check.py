"""Checker of lesson 3.1.2-thread-server: a thread per client, ended when it leaves.

The server runs on its own host; clients talk to it from two other hosts, while the
checker looks at the server's host from inside (/proc: what ps -L and pstree show).
Expectations, in order: listen on 8888; echo; 20 clients on two hosts at once, each
with its own replies (an iterative server makes the second one wait); one process with a
thread per client while they are connected; the threads end once the clients leave; the
server's FIN when a client closes; a client that vanishes (RST) stops nothing.
"""
from socketlab.lessons.servers import LISTEN_TIMEOUT, PORT, TEXTS, EchoServer, per_client_verdict, threads_ended_verdict

CLIENTS_PER_HOST = 10

TEXTS_THREAD = {
    "crowd": TEXTS["crowd"].with_hint(
        "accept 之后马上创建线程去服务这个客户端，主线程立刻回到 accept；不要 join 等线程结束",
        "after accept, start a thread for that client and go straight back to accept; do not join() it"),
}


def check(run, program):
    server = EchoServer(run, program, TEXTS_THREAD)
    listen = run.listening(server.server, PORT, timeout=LISTEN_TIMEOUT)
    yield listen
    if not listen.passed:
        return
    verdict = next(server.steps([("echo", [{"step": "echo"}])]))
    yield verdict
    if not verdict.passed:
        return
    crowd, seen = server.crowd(hosts=2, connections=CLIENTS_PER_HOST, watch=True, after=3.0)
    yield crowd
    if not crowd.passed:
        return
    verdict = per_client_verdict("thread", seen, 2 * CLIENTS_PER_HOST)
    yield verdict
    if not verdict.passed:
        return
    verdict = threads_ended_verdict(seen.get("after", {}))
    yield verdict
    if not verdict.passed:
        return
    for verdict in server.steps([("close", [{"step": "halfclose"}]),
                                 ("reset", [{"step": "vanish"}, {"step": "echo"}])]):
        yield verdict
