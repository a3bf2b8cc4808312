"""Checker of lesson 5.1-select-limit: select meets its limit of 1024 descriptors.

The server runs on its own host; two client hosts open 1,100 connections to it at the
same moment, each asking for one echo, and keep them until both are done (so the server
holds the whole flood at once, however late one host starts). select cannot watch a descriptor numbered 1024
or more (FD_SETSIZE): the notes' server dies with ValueError on the first such client.
Expectations: listen on 8888; echo; the server survives the flood; every connection is
either served or refused cleanly (closed by the server), none is left hanging; and once
the flood is gone a new client is served.

The server's open-files limit is read on its host, not assumed: a soft limit below the
flood would stop accept with EMFILE before select's limit is ever reached, so the checker
raises the soft limit (up to the hard one) first and says so.
"""
from socketlab.lessons.servers import LISTEN_TIMEOUT, PORT, EchoServer, Text, together

HOSTS = 2
PER_HOST = 550
NEEDED = HOSTS * PER_HOST + 64

HINT = ("select 只能监控编号小于 1024 的描述符：accept 到编号 >= 1024 的连接时，不要放进监控列表，"
        "告诉它“满了”并 close()，服务器继续运行",
        "select cannot watch descriptors numbered 1024 or more: when accept returns one, do not watch it; "
        "tell it the server is full and close() it, and carry on")

SURVIVES = Text(
    "{total} 个连接同时涌来，服务器没有崩溃", "{total} connections at once: the server did not crash",
    "{total} 个连接同时涌来，服务器崩溃了", "{total} connections at once: the server crashed", *HINT)
REFUSES = Text(
    "每个连接要么得到服务，要么被干脆地拒绝：服务 {served} 个，拒绝 {refused} 个",
    "every connection was served or cleanly refused: {served} served, {refused} refused",
    "有 {hanging} 个连接既没有得到服务也没有被拒绝，一直挂着",
    "{hanging} connections were neither served nor refused: left hanging",
    HINT[0] + "。捕获 ValueError 不解决问题：超限的描述符还在列表里，下一次 select 照样失败",
    HINT[1] + ". Catching the ValueError solves nothing: the descriptor is still watched and the next "
    "select fails the same way")
AFTER = Text(
    "洪水退去之后，新的客户端照常得到服务", "after the flood a new client is served as before",
    "洪水退去之后，新的客户端得不到服务", "after the flood a new client is not served", *HINT)
LIMIT = Text(
    "", "", "服务器主机的文件描述符上限（硬限制 {hard}）小于 {needed}，演示不了 select 的上限",
    "the server host's descriptor limit (hard {hard}) is below {needed}: select's limit cannot be shown here",
    "请老师提高 Docker 的 nofile 上限（dockerd --default-ulimit nofile=4096:4096）",
    "ask the teacher to raise Docker's nofile limit (dockerd --default-ulimit nofile=4096:4096)")


def flood_detail(reports: list[dict], nofile: list) -> str:
    lines = [f"server's open-files limit (soft, hard): {nofile}"]
    for i, report in enumerate(reports):
        counts = ", ".join(f"{k} {report[k]}" for k in ("served", "refused", "hanging", "unconnected") if k in report)
        lines.append(f"client host {i + 1}: " + (counts or report.get("error", "no report")))
    return "\n".join(lines)


def check(run, program):
    server = EchoServer(run, program)
    listen = run.listening(server.server, PORT, timeout=LISTEN_TIMEOUT)
    yield listen
    if not listen.passed:
        return
    limits, [verdict] = together(lambda: server.look("nofile", NEEDED),
                                 lambda: list(server.steps([("echo", [{"step": "echo"}])])))
    soft, hard = limits.get("nofile", [0, 0])
    if soft < NEEDED:
        yield LIMIT.verdict(False, "nofile", hard=hard, needed=NEEDED)
        return
    yield verdict
    if not verdict.passed:
        return
    drivers = server.drivers(HOSTS)
    stall = max(3.0, 3 * server.lag)  # a starved server on a loaded machine pauses; one that stopped does not resume
    step = {"step": "flood", "connections": PER_HOST, "stall": stall, "limit": 30 + stall}
    meets = server.meeting(drivers, 45 + stall)
    results = together(*[lambda h=h, m=m: server.probe([{**step, "meet": m}], host=h, timeout=60 + 2 * stall)
                         for h, m in zip(drivers, meets, strict=True)])
    reports = [r[0] for r in results]
    detail = flood_detail(reports, limits.get("nofile"))
    total = HOSTS * PER_HOST
    verdict = SURVIVES.verdict(server.server.alive(), "survives", detail if server.server.alive() else server.crash(),
                               total=total)
    yield verdict
    if not verdict.passed:
        return
    counts = {k: sum(r.get(k, 0) for r in reports) for k in ("served", "refused", "hanging")}
    if any("served" not in r for r in reports):
        counts["hanging"] = max(counts["hanging"], 1)
    verdict = REFUSES.verdict(counts["hanging"] == 0, "refuses", detail, **counts)
    yield verdict
    if not verdict.passed:
        return
    verdict = next(server.steps([("echo", [{"step": "echo"}])]))
    yield AFTER.verdict(verdict.passed, "after", verdict.detail)
