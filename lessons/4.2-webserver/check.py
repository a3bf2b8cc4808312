"""Checker of lesson 4.2-webserver: the learner's WebServer, fetched with curl from another host.

The server runs on its own host with a copy of the lesson's static/ folder plus a 1 MiB
binary file (static/images/big.bin, random each run) in its working directory. From a
driver host, one probe runs curl: the index page, a page that does not exist (404), the
binary file byte for byte, and the index page again while another client holds a
connection open without sending anything (a server that serves one client at a time
waits on that one forever).
"""
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from socketlab.lessons.kit import Checkup, parse_json
from socketlab.lessons.verdict import failed, passed

PORT = 8000
STATIC = Path(__file__).resolve().parent / "static"

PROBE = """
import hashlib, json, socket, subprocess, sys
ip, port = sys.argv[1], sys.argv[2]
base = "http://%s:%s" % (ip, port)

def curl(path, seconds):
    subprocess.run(["rm", "-f", "/tmp/body"])
    out = subprocess.run(["curl", "-s", "-o", "/tmp/body", "-w", "%{http_code}", "--max-time", str(seconds),
                          base + path], capture_output=True, text=True)
    try:
        data = open("/tmp/body", "rb").read()
    except OSError:
        data = b""
    return {"status": out.stdout.strip(), "sha": hashlib.sha256(data).hexdigest(), "size": len(data),
            "curl_exit": out.returncode}

report = {"index": curl("/", 5), "missing": curl("/no-such-page.html", 5), "binary": curl("/images/big.bin", 15)}
try:
    idle = socket.create_connection((ip, int(port)), timeout=3)   # connected, sends nothing
except OSError as exc:
    report["concurrent"] = {"status": "", "sha": "", "size": 0, "curl_exit": 0, "error": str(exc)}
else:
    report["concurrent"] = curl("/", 4)
    idle.close()
print(json.dumps(report))
"""


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _got(result: dict) -> str:
    return (f"HTTP status {result.get('status') or '(none)'}, {result.get('size', 0)} bytes"
            + (f", curl exit {result['curl_exit']}" if result.get("curl_exit") else ""))


def check(run: Checkup, program):
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(STATIC, Path(folder) / "static")
        big = Path(folder) / "static" / "images" / "big.bin"
        big.write_bytes(os.urandom(1024 * 1024))
        big_sha, index_sha = _sha(big), _sha(STATIC / "index.html")
        server = run.start(program, files=Path(folder))
    verdict = run.listening(server, PORT)
    yield verdict
    if not verdict.passed:
        return
    driver = run.host()
    report = parse_json(run.probe(driver, PROBE, server.ip, PORT, timeout=40))
    if report is None:
        yield failed("curl 检查没有完成", "the curl checks did not finish", detail=server.crash_detail(), key="index")
        return
    dead = not server.alive()
    shown = []

    def fail(zh, en, hint_zh, hint_en, got, key):
        """A failure; once the server has died, later failures point at the crash shown above."""
        if dead and shown:
            return failed(zh, en, "服务端在前面的请求之后已经退出（原因见上）",
                          "the server had exited already (see above)", got, key=key)
        shown.append(key)
        return failed(zh, en, hint_zh, hint_en, got + ("\n" + server.crash_detail() if dead else ""), key=key)

    index = report["index"]
    if index["status"] == "200" and index["sha"] == index_sha:
        yield passed("GET / 返回 200 和 static/index.html", "GET / answers 200 with static/index.html", key="index")
    else:
        yield fail("GET / 没有返回 200 和 static/index.html", "GET / did not answer 200 with static/index.html",
                   "请求内容为 / 时发送 ./static/index.html；响应行、响应头、空行、响应体",
                   "for / send ./static/index.html: status line, headers, an empty line, then the body",
                   _got(index), "index")

    missing = report["missing"]
    if missing["status"] == "404":
        yield passed("不存在的网页返回 404", "a page that does not exist answers 404", key="404")
    else:
        yield fail("不存在的网页没有返回 404", "a page that does not exist did not answer 404",
                   "open 失败 (OSError) 时回复 'HTTP/1.1 404 Not Found'，服务端不能退出",
                   "when open() fails (OSError) answer 'HTTP/1.1 404 Not Found'; the server must go on",
                   _got(missing), "404")

    binary = report["binary"]
    if binary["status"] == "200" and binary["sha"] == big_sha:
        yield passed("1 MiB 的二进制文件完整到达", "a 1 MiB binary file arrives intact", key="binary")
    else:
        yield fail("1 MiB 的二进制文件没有完整到达", "a 1 MiB binary file did not arrive intact",
                   "用 'rb' 读文件；非阻塞的 send 可能只发出一部分：记下没发完的，可写时继续发",
                   "read files with 'rb'; a non-blocking send may send only part: keep the rest and "
                   "send it when the socket is writable", _got(binary) + f", expected {1024 * 1024} bytes", "binary")

    concurrent = report["concurrent"]
    if concurrent["status"] == "200" and concurrent["sha"] == index_sha:
        yield passed("一个客户端连着不发请求时，另一个客户端照样得到网页",
                     "while one client holds a connection without a request, another is served", key="concurrent")
    else:
        yield fail("一个客户端连着不发请求时，另一个客户端等不到网页",
                   "while one client held a connection without a request, another was not served",
                   "用 select 同时监控所有套接字 (IO 多路复用)，不要阻塞在某一个客户端的 recv 上",
                   "watch every socket with select (I/O multiplexing); never block in one client's recv",
                   _got(concurrent), "concurrent")
