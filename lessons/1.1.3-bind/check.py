"""Checker of lesson 1.1.3-bind: the learner's server bound three ways, reached from two places.

The server runs three times on one host, with the address to bind as its argument:
127.0.0.1, the host's own IP, 0.0.0.0. Each time the checker connects to port 8888 from
the same host (through 127.0.0.1 and through the host's IP) and from another host
(through the host's IP), and compares what connects with what the notes say.
"""
from socketlab.lessons.kit import Checkup, parse_json
from socketlab.lessons.verdict import failed, passed

PORT = 8888

# Tries each address of argv[2:] on port argv[1]: 1 if a connection is accepted (and greets), 0 if not.
REACH = """
import json, socket, sys
port, seen = int(sys.argv[1]), {}
for ip in sys.argv[2:]:
    try:
        with socket.create_connection((ip, port), timeout=2) as s:
            s.settimeout(2)
            s.recv(1024)
        seen[ip] = 1
    except OSError:
        seen[ip] = 0
print(json.dumps(seen))
"""

# bind address -> (same host via 127.0.0.1, same host via its IP, other host via its IP), as the notes say
EXPECTED = {"loopback": (1, 0, 0), "ip": (0, 1, 1), "any": (1, 1, 1)}
PLACES = ("本机用 127.0.0.1 / same host via 127.0.0.1", "本机用本机 IP / same host via its IP",
          "另一台主机用 IP / another host via the IP")


def _row(run: Checkup, server, other) -> tuple[int, int, int]:
    """Reachability from the server's own host and from `other`, probed at the same time."""
    far_probe = run.in_background(lambda: run.probe(other, REACH, PORT, server.ip, timeout=15))
    same = parse_json(run.probe(server.host, REACH, PORT, "127.0.0.1", server.ip, timeout=15)) or {}
    result = far_probe.result(run.bound(20))
    far = (parse_json(result) if result else None) or {}
    return same.get("127.0.0.1", 0), same.get(server.ip, 0), far.get(server.ip, 0)


def check(run: Checkup, program):
    other = run.host()
    host = None
    for key, zh, en in (("loopback", "127.0.0.1", "127.0.0.1"), ("ip", "本机 IP", "the host's IP"),
                        ("any", "0.0.0.0", "0.0.0.0")):
        if host is None:
            server = run.start(program, "127.0.0.1")
            host = server.host
        else:
            server = run.start(program, {"ip": host.ip, "any": "0.0.0.0"}[key], on=host)
        if not server.wait_listening(PORT, timeout=8):
            yield failed(f"绑定 {zh} 时没有在 8888 端口监听", f"bound to {en}, it does not listen on port 8888",
                         "用 sys.argv[1] 作为 bind 的地址，端口 8888，设置 SO_REUSEADDR",
                         "bind to (sys.argv[1], 8888), with SO_REUSEADDR set",
                         server.crash_detail(), key=key)
            server.stop()
            continue
        row = _row(run, server, other)
        if server.stop() is None:
            yield failed("没能及时停止你的程序，无法继续检查", "could not stop your program in time to go on",
                         "机器太忙时会这样：再运行一次检查", "this happens on a very busy machine: run the check again",
                         key="checker")
            return
        table = "\n".join(f"{place}: {'通 reached' if got else '不通 refused'}"
                          f"{'' if got == want else '   ← 应该 should be ' + ('通' if want else '不通')}"
                          for place, got, want in zip(PLACES, row, EXPECTED[key], strict=True))
        if row == EXPECTED[key]:
            yield passed(f"绑定 {zh}：能访问它的正是笔记说的那些地方",
                         f"bound to {en}: reached from exactly where the notes say", key=key, detail=table)
        else:
            yield failed(f"绑定 {zh}：能否访问和笔记说的不一样",
                         f"bound to {en}: reached from elsewhere than the notes say",
                         "程序要绑定命令行给出的地址：bind((sys.argv[1], 8888))",
                         "bind exactly the address given on the command line: bind((sys.argv[1], 8888))",
                         table, key=key)
