"""Checker of lesson 4.1-http: a raw-socket HTTP client, driven by a strict little server.

A one-request HTTP server runs on a driver host (the script below): it reads the request
head, checks it as HTTP/1.1 wants it (request line `GET /path HTTP/1.1`, lines ending in
\\r\\n, a Host header, an empty line at the end) and answers 200 with a 300 KB binary body,
written in pieces so it arrives in many segments, then closes; or 400 if the request is
malformed. The learner's client runs on another host as `http_get.py IP 8000 /files/data.bin`
and must print the response head and save the body to data.bin byte for byte.
"""
import hashlib

from socketlab.lessons.kit import Checkup, parse_json
from socketlab.lessons.verdict import failed, passed

PORT = 8000
PATH = "/files/data.bin"


def body() -> bytes:
    """The body the server sends: 300 KB, every byte value, not text."""
    return (bytes(range(256)) * 1172)[:300_000]


SERVER = """
import json, socket, sys, time
body = (bytes(range(256)) * 1172)[:300_000]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", int(sys.argv[1])))
listener.listen(1)
listener.settimeout(20)
report = {"request": "", "problems": []}
try:
    conn, _ = listener.accept()
except OSError:
    report["problems"].append("no client connected")
    print(json.dumps(report)); sys.exit()
conn.settimeout(5)
head = b""
try:
    while b"\\r\\n\\r\\n" not in head and b"\\n\\n" not in head and len(head) < 65536:
        data = conn.recv(4096)
        if not data:
            break
        head += data
except OSError:
    pass
report["request"] = head.decode(errors="replace")
text = head.decode(errors="replace")
first = text.split("\\n", 1)[0]
if not head.endswith(b"\\r\\n\\r\\n"):
    report["problems"].append("the request head does not end with an empty line \\\\r\\\\n\\\\r\\\\n")
if head.replace(b"\\r\\n", b"").count(b"\\n"):
    report["problems"].append("a line ends in \\\\n without \\\\r")
if first.rstrip("\\r") != "GET " + sys.argv[2] + " HTTP/1.1":
    report["problems"].append("request line is %r, not %r" % (first.rstrip("\\r"), "GET " + sys.argv[2] + " HTTP/1.1"))
if not any(line.lower().startswith("host:") for line in text.split("\\r\\n")[1:]):
    report["problems"].append("no Host header")
if report["problems"]:
    try:
        conn.sendall(b"HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n")
    except OSError:
        pass
else:
    conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: application/octet-stream\\r\\n"
                 b"Content-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(body))
    try:
        for start in range(0, len(body), 20000):
            conn.sendall(body[start:start + 20000])
            time.sleep(0.01)
    except OSError as exc:
        report["send_error"] = "the client closed before the whole body was sent: %s" % exc
conn.close()
print(json.dumps(report))
"""


def check(run: Checkup, program):
    driver = run.host()
    server = run.in_background(lambda: run.probe(driver, SERVER, PORT, PATH, timeout=30))
    if not run.wait_port(driver, PORT, timeout=15):
        yield failed("检查用的 HTTP 服务端没有启动", "the checker's HTTP server did not start", key="checker")
        return
    client = run.start(program, driver.ip, str(PORT), PATH)
    code = client.wait_exit(15)
    if code is None:
        client.stop()
    result = server.result(run.bound(25))
    report = parse_json(result) if result else None
    if report is None:
        yield failed("检查用的 HTTP 服务端没有给出结果", "the checker's HTTP server gave no report",
                     detail=result.output[-300:] if result else "", key="checker")
        return
    problems = report["problems"]

    if not problems:
        yield passed("请求格式正确：GET 请求行、Host 头、\\r\\n 行尾、空行结束",
                     "the request is well formed: GET line, Host header, \\r\\n line ends, an empty line",
                     key="request")
    else:
        yield failed("请求格式不对，服务端回复了 400", "the request is malformed; the server answered 400",
                     "请求行 'GET /路径 HTTP/1.1\\r\\n'，再写 'Host: ...\\r\\n'，最后一个空行 '\\r\\n'",
                     "send 'GET /path HTTP/1.1\\r\\n', then 'Host: ...\\r\\n', then an empty line '\\r\\n'",
                     "\n".join([*problems, repr(report.get("request", ""))[:200]]), key="request")

    if "HTTP/1.1 200 OK" in client.output():
        yield passed("打印了响应行 HTTP/1.1 200 OK", "it printed the status line HTTP/1.1 200 OK", key="status")
    else:
        yield failed("没有打印响应行 HTTP/1.1 200 OK", "it did not print the status line HTTP/1.1 200 OK",
                     "响应头在第一个 \\r\\n\\r\\n 之前：print(head.decode())",
                     "the head is everything before the first \\r\\n\\r\\n: print(head.decode())",
                     client.crash_detail() or client.output()[-300:], key="status")

    expected = body()
    saved = client.host.sh("sha256sum /home/lab/data.bin; stat -c %s /home/lab/data.bin", timeout=run.bound(10))
    fields = saved.stdout.split()
    digest, size = (fields[0], fields[2]) if saved.exit_code == 0 and len(fields) >= 3 else ("", "none")
    if digest == hashlib.sha256(expected).hexdigest():
        yield passed(f"响应体完整地存进了 data.bin ({len(expected)} 字节)",
                     f"the body was saved whole in data.bin ({len(expected)} bytes)", key="body")
    else:
        yield failed("data.bin 和服务端发送的响应体不一样", "data.bin differs from the body the server sent",
                     "一直 recv 直到返回 b''（Connection: close），响应体是第一个 \\r\\n\\r\\n 之后的全部字节",
                     "recv until it returns b'' (Connection: close); the body is every byte after the first "
                     "\\r\\n\\r\\n", "\n".join([f"data.bin: {size} bytes, expected {len(expected)}",
                                                     report.get("send_error", "")]).strip(), key="body")

    if code == 0:
        yield passed("客户端收完响应后正常结束", "the client ended by itself after the response", key="exit")
    else:
        yield failed("客户端没有正常结束", "the client did not end normally",
                     "服务端发完就关闭连接，recv 返回 b'' 时结束循环", "the server closes after the response: "
                     "leave the loop when recv returns b''", client.crash_detail() or "still running after 15 s",
                     key="exit")
