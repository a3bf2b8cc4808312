"""Checker of lesson 1.3.4-framing: a TCP client that receives \\n-framed messages whole.

The lesson's framing_server.py runs on one host and sends its messages coalesced (three in
one segment) and split (one message in three segments, cut inside a Chinese character);
the learner's client runs on another host and must print `收到: <message>` once per
message, in order, then end when the server closes.
"""
from pathlib import Path

from socketlab.lessons.kit import Checkup, tail
from socketlab.lessons.verdict import failed, passed

PORT = 8888
SERVER = Path(__file__).resolve().parent / "framing_server.py"


def printed(text: str, prefix: str) -> list[str]:
    """The messages a program printed as `PREFIX message` lines."""
    return [line[len(prefix):].strip() for line in text.splitlines() if line.startswith(prefix)]


def check(run: Checkup, program):
    server = run.start(SERVER)
    if not server.wait_listening(PORT, timeout=10):
        yield failed("课程自带的服务端没有启动", "the lesson's own server did not start",
                     detail=server.crash_detail(), key="checker")
        return
    client = run.start(program, server.ip)
    code = client.wait_exit(10)
    sent = printed(server.output(), "发送:")
    got = printed(client.output(), "收到:")
    shown = "\n".join(f"收到: {m}" for m in got[:6]) + ("\n" + tail(client.errors(), 3) if client.errors() else "")

    if "Connect from" not in server.output():
        yield failed("客户端没有连接到服务端 8888 端口", "the client did not connect to the server's port 8888",
                     "用命令行参数 sys.argv[1] 作为服务端 IP，连接 (IP, 8888)",
                     "connect to (sys.argv[1], 8888): the server's IP comes as the first argument",
                     client.crash_detail(), key="connect")
        return
    yield passed("客户端连接到了服务端", "the client connected to the server", key="connect")

    if got[:3] == sent[:3]:
        yield passed("一次到达的三条消息，分别打印为三条", "three messages arriving together are printed as three",
                     key="coalesced")
    else:
        yield failed("一次到达的三条消息没有分成三条打印 (粘包)",
                     "three messages arriving together were not split apart",
                     "把收到的字节放进缓冲区，按 \\n 切出每条完整的消息；一次 recv 可能含有多条",
                     "append what recv returns to a buffer and cut every complete message at \\n: "
                     "one recv may hold several", shown, key="coalesced")

    if len(sent) > 3 and sent[3] in got:
        yield passed("分三次到达的一条消息，完整地打印为一条",
                     "a message arriving in three pieces is printed whole, once", key="split")
    else:
        yield failed("分几次到达的消息没有完整地打印 (拆包)", "a message arriving in pieces was not printed whole",
                     "没有遇到 \\n 之前，消息还不完整：留在缓冲区里等下一次 recv；完整后再 decode",
                     "until its \\n arrives a message is incomplete: keep it in the buffer for the next recv, "
                     "and decode only whole messages", shown, key="split")

    if got == sent and code == 0:
        yield passed("每条消息都按顺序打印一次，服务端关闭后客户端结束",
                     "every message printed once, in order; the client ended when the server closed", key="all")
    else:
        why = client.crash_detail() if code not in (0, None) else (
            "still running 10 s later" if code is None else f"printed {len(got)} of {len(sent)} messages")
        yield failed("没有按顺序把每条消息都打印一次并正常结束",
                     "not every message was printed once, in order, with a normal end",
                     "一次 recv 后用 while 循环取出缓冲区里所有完整的消息；recv 返回 b'' 时结束",
                     "after each recv take out every complete message with a while loop; stop when recv returns b''",
                     why, key="all")
