"""A TCP client that plays a script of steps and reports what happened, as one JSON line.

Run on a driver host by a checker: `python3 - HOST PORT STEPS_JSON`. STEPS is
a list of [action, connection, argument] (every wait bounded):

    ["connect", "a"]                  open connection "a" to HOST:PORT (3 s)
    ["send", "a", "text"]             sendall the UTF-8 text ("\\n" etc. as in JSON)
    ["sendhex", "a", "00ff"]          sendall raw bytes
    ["recv", "a", 2.0]                one recv() (up to 64 KiB) within 2 s
    ["recv_until", "a", "Thanks", 3]  recv until the text has arrived (3 s), after what the
                                      last recv_until on "a" found: each waits for a new one
    ["recv_bytes", "a", 1000, 3]      recv until 1000 bytes have arrived (3 s)
    ["expect_eof", "a", 3]            recv until the peer closes (b'') (3 s)
    ["sleep", "", 0.2]                wait
    ["shut_wr", "a"]                  shutdown(SHUT_WR): "I have finished sending"
    ["close", "a"]                    close() normally (FIN)
    ["reset", "a"]                    close with SO_LINGER 0: an RST, as a client that vanishes

Output: {"ok": bool, "failed_step": int|null, "error": str, "received": {"a": str}, "hex": {"a": hex}}.
"received" holds everything read on each connection (decoded, errors replaced).
"""
import json
import socket
import struct
import sys
import time

host, port, steps = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
conns, got = {}, {}
mark = {}  # where the next recv_until starts looking: each one waits for a new reply
report = {"ok": True, "failed_step": None, "error": ""}


def read_until(conn, name, done, timeout):
    end = time.monotonic() + timeout
    while not done():
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out after {timeout:g} s")
        conn.settimeout(left)
        data = conn.recv(65536)
        if not data:
            return False
        got[name] += data
    return True


for number, step in enumerate(steps):
    action, name, arg = [*step, "", None][:3]
    extra = step[3] if len(step) > 3 else None
    try:
        if action == "connect":
            conns[name] = socket.create_connection((host, port), timeout=3)
            got[name], mark[name] = b"", 0
        elif action == "send":
            conns[name].sendall(arg.encode())
        elif action == "sendhex":
            conns[name].sendall(bytes.fromhex(arg))
        elif action == "recv":
            conns[name].settimeout(float(arg))
            data = conns[name].recv(65536)
            if not data:
                raise EOFError("the server closed the connection")
            got[name] += data
        elif action == "recv_until":
            text = arg.encode()
            if not read_until(conns[name], name, lambda n=name, t=text: t in got[n][mark[n]:], float(extra or 3)):
                raise EOFError("the server closed the connection first")
            mark[name] = got[name].index(text, mark[name]) + len(text)
        elif action == "recv_bytes":
            if not read_until(conns[name], name, lambda n=name, k=int(arg): len(got[n]) >= k, float(extra or 3)):
                raise EOFError("the server closed the connection first")
        elif action == "expect_eof":
            read_until(conns[name], name, lambda: False, float(arg or 3))
        elif action == "sleep":
            time.sleep(float(arg))
        elif action == "shut_wr":
            conns[name].shutdown(socket.SHUT_WR)
        elif action == "close":
            conns.pop(name).close()
        elif action == "reset":
            conn = conns.pop(name)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        else:
            raise ValueError(f"unknown action {action!r}")
    except (OSError, EOFError, ValueError) as exc:
        report.update(ok=False, failed_step=number, error=f"{action}: {type(exc).__name__}: {exc}")
        break

report["received"] = {n: data.decode(errors="replace") for n, data in got.items()}
report["hex"] = {n: data.hex() for n, data in got.items()}
print(json.dumps(report, ensure_ascii=False))
