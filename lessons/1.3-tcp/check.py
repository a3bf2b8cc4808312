"""Checker of lesson 1.3-tcp: a TCP server that talks until its client leaves, survives a client
that vanishes, and can be restarted at once (SO_REUSEADDR).

The server runs on its own host; clients talk to it from another host. Expectations:
listen on 8888; answer each message with b"Thanks" on one connection; serve the next client
after one closes (recv returned b''); go on after a client vanishes with an RST
(ConnectionResetError / BrokenPipeError); listen again right after being killed while a
connection was open (TIME_WAIT on its port).
"""
import signal

from socketlab.lessons.kit import Checkup, Program
from socketlab.lessons.verdict import failed, passed

PORT = 8888


def _session(name: str, words: list[str]) -> list:
    """One client's steps: each word sent and b"Thanks" awaited, then a normal close."""
    steps = [["connect", name]]
    for word in words:
        steps += [["send", name, word], ["recv_until", name, "Thanks", 3], ["sleep", "", 0.05]]
    return [*steps, ["close", name]]


def _why(server: Program, report: dict) -> str:
    lines = [f"client: {report.get('error')}"]
    if not server.alive():
        lines.append(server.crash_detail())
    return "\n".join(lines)


def check(run: Checkup, program):
    server = run.start(program)
    verdict = run.listening(server, PORT)
    yield verdict
    if not verdict.passed:
        return
    client = run.host()

    # One probe, two clients in turn: the first talks and leaves, the second must then be served.
    first = _session("first", ["你好", "second message"])
    report = run.tcp_script(client, server.ip, PORT, first + _session("next", ["next client"]))
    first_ok = report["ok"] or report["failed_step"] >= len(first)
    if first_ok:
        yield passed("同一个连接上，每条消息都收到 Thanks", "each message on one connection is answered with Thanks",
                     key="reply")
    else:
        yield failed("同一个连接上的消息没有都收到 Thanks", "not every message on one connection got Thanks",
                     "循环 recv/send，直到 recv 返回 b''；每条消息回复 b'Thanks'",
                     "loop on recv/send until recv returns b''; answer each message with b'Thanks'",
                     _why(server, report), key="reply")
        return
    if report["ok"]:
        yield passed("上一个客户端退出后，下一个客户端得到服务", "after a client leaves, the next one is served",
                     key="eof")
    else:
        yield failed("上一个客户端退出后，下一个客户端没有得到服务", "after a client left, the next one was not served",
                     "客户端退出时 recv 返回 b''：要 break 出循环，关闭 connfd，回到 accept",
                     "when the client leaves recv returns b'': break out, close connfd, go back to accept()",
                     _why(server, report), key="eof")
        return

    # One probe: a client vanishes with an RST, then another must still be served.
    vanish = [["connect", "v"], ["send", "v", "bye"], ["recv_until", "v", "Thanks", 3], ["reset", "v"],
              ["sleep", "", 0.2]]
    report = run.tcp_script(client, server.ip, PORT, vanish + _session("after", ["still there?"]))
    if report["ok"] and server.alive():
        yield passed("客户端突然消失 (RST) 后，服务端继续服务", "after a client vanishes (RST) the server goes on",
                     key="reset")
    else:
        yield failed("客户端突然消失 (RST) 后，服务端不再服务",
                     "after a client vanished (RST) the server stopped serving",
                     "用 try/except ConnectionError 包住 recv/send"
                     "（ConnectionResetError、BrokenPipeError 都是它的子类）",
                     "wrap recv/send in try/except ConnectionError "
                     "(ConnectionResetError and BrokenPipeError are both)",
                     _why(server, report), key="reset")
        return

    # Kill the server while a client is connected: its side of that connection waits in TIME_WAIT.
    hold = [["connect", "h"], ["send", "h", "hold"], ["recv_until", "h", "Thanks", 3], ["expect_eof", "h", 8],
            ["close", "h"]]
    run.in_background(lambda: run.tcp_script(client, server.ip, PORT, hold))
    if not server.wait_connections(PORT, 1, timeout=10):
        yield failed("没能建立用于重启测试的连接", "could not open the connection the restart test needs",
                     key="reuseaddr", detail=server.crash_detail())
        return
    server.signal(signal.SIGKILL)
    server.wait_exit(5)
    # No need to wait for the client's close: FIN_WAIT2 or TIME_WAIT, either holds the port.
    again = run.start(program, on=server.host)
    if again.wait_listening(PORT, timeout=4):
        yield passed("被杀掉后立即重启，服务端马上重新监听 8888",
                     "killed and restarted at once, it listens on 8888 again", key="reuseaddr")
    else:
        yield failed("立即重启后没能重新监听 8888 端口", "restarted at once, it could not listen on 8888 again",
                     "bind 之前设置 tcp_socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)：旧连接还在 TIME_WAIT",
                     "call tcp_socket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1) before bind(): the old connection is "
                     "in TIME_WAIT", again.crash_detail(), key="reuseaddr")
