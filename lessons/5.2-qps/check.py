"""Checker of lesson 5.2-qps: the QPS and latency of the learner's own server, in seconds.

The server runs on its own host; two client hosts run the lab's load generator (loadgen,
the one `socketlab bench` uses) against it at the same time: closed loop, each connection
sends a small message and waits for its echo before the next. Then the same load runs
against the lab's echo-epoll service when it is up, and both are printed side by side.
Speed is never judged (the machine is shared and noisy): the expectations are that the
server listens, echoes, serves every connection under load without an error, and that
the measurement was produced.
"""
from socketlab.lessons.qps import LOAD, measure, measured_verdict
from socketlab.lessons.servers import LISTEN_TIMEOUT, PORT, EchoServer, Text

LOAD_TEXT = Text(
    "{connections} 个连接（2 台主机）压测 {seconds:g} 秒：每个连接都一直得到回复，没有错误",
    "{connections} connections on 2 hosts for {seconds:g} s: every one kept getting its echoes, no error",
    "{connections} 个连接（2 台主机）压测 {seconds:g} 秒：有 {errors} 个错误",
    "{connections} connections on 2 hosts for {seconds:g} s: {errors} errors",
    "压测的客户端在同一个连接上一条接一条地发：服务器要同时服务所有连接，并且一直服务到客户端关闭",
    "the load keeps sending on the same connections, one message after another: serve every connection "
    "at once, and until the client closes it")


def check(run, program):
    server = EchoServer(run, program)
    listen = run.listening(server.server, PORT, timeout=LISTEN_TIMEOUT)
    yield listen
    if not listen.passed:
        return
    verdict = next(server.steps([("echo", [{"step": "echo"}])]))
    yield verdict
    if not verdict.passed:
        return
    drivers = server.drivers(2)
    yours = measure(run, drivers, server.server.ip)
    errors = yours.get("errors", 0) + yours.get("refused", 0) if "requests" in yours else None
    verdict = LOAD_TEXT.verdict(errors == 0 and yours.get("requests", 0) > 0, "load",
                                yours.get("problem", "") or server.crash(), connections=LOAD["connections"] * 2,
                                seconds=LOAD["duration"], errors=errors if errors is not None else "?")
    yield verdict
    if not verdict.passed:
        return
    lab_epoll = None
    if run.lab.has_service("echo-epoll"):
        lab_epoll = measure(run, drivers, run.service_ip("echo-epoll"))
    yield measured_verdict(yours, lab_epoll)
