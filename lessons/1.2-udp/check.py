"""Checker of lesson 1.2-udp: a UDP server that answers every datagram to the address it came from.

The server runs on its own host; datagrams come from another host. Expectations: bound
on UDP 8888; a datagram from another host gets b"Thanks" back; two clients (two sockets,
two addresses) sending in turn each get their own replies; it printed what it received.
"""
from socketlab.lessons.kit import Checkup
from socketlab.lessons.verdict import failed, passed

PORT = 8888


def check(run: Checkup, program):
    server = run.start(program)
    verdict = run.listening(server, PORT, proto="udp")
    yield verdict
    if not verdict.passed:
        return
    client = run.host()

    report = run.udp_script(client, server.ip, PORT, [["socket", "a"], ["send", "a", "你好 UDP"], ["recv", "a", 3]])
    replies = report["received"].get("a", [])
    if report["ok"] and replies[0][0] == "Thanks":
        yield passed("另一台主机发来的消息收到了 Thanks", "a datagram from another host is answered with Thanks",
                     key="reply")
    else:
        detail = report["error"] if not replies else f"got {replies[0][0]!r}"
        yield failed("另一台主机发来的消息没有收到 Thanks", "a datagram from another host got no Thanks",
                     "绑定 ('0.0.0.0', 8888)，用 recvfrom 得到的地址 sendto(b'Thanks', addr)",
                     "bind ('0.0.0.0', 8888), and sendto(b'Thanks', addr) with the addr recvfrom returned",
                     "\n".join(x for x in (detail, server.crash_detail()) if x), key="reply")
        return

    steps = [["socket", "a"], ["socket", "b"]]
    for word in ("one", "two"):
        steps += [["send", "a", f"a-{word}"], ["recv", "a", 3], ["send", "b", f"b-{word}"], ["recv", "b", 3]]
    report = run.udp_script(client, server.ip, PORT, steps)
    if report["ok"]:
        yield passed("两个客户端轮流发送，各自收到自己的回复", "two clients sending in turn each get their own replies",
                     key="address")
    else:
        yield failed("两个客户端轮流发送，有一个收不到回复", "of two clients sending in turn, one got no reply",
                     "UDP 没有连接：每次都回复给这次 recvfrom 返回的 addr，不要记住第一个地址",
                     "UDP has no connection: answer each datagram to the addr its recvfrom returned",
                     report["error"], key="address")

    if server.wait_output("你好 UDP", timeout=2):
        yield passed("服务端打印了收到的每条消息", "the server printed every message it received", key="print")
    else:
        yield failed("服务端没有打印收到的消息", "the server did not print the messages it received",
                     "print(addr, '接收到:', data.decode())", "print(addr, '接收到:', data.decode())",
                     "\n".join(server.output().splitlines()[-4:]), key="print")
