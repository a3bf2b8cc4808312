"""A UDP client that plays a script of steps and reports what happened, as one JSON line.

Run on a driver host by a checker: `python3 - HOST PORT STEPS_JSON`. STEPS is a list of
[action, socket, argument] (every wait bounded):

    ["socket", "a"]            a new UDP socket "a" (its own port)
    ["send", "a", "text"]      sendto(text, (HOST, PORT))
    ["recv", "a", 2.0]         one recvfrom() within 2 s (fails on timeout: UDP may lose it)
    ["sleep", "", 0.2]         wait

Output: {"ok": bool, "failed_step": int|null, "error": str,
         "received": {"a": [[text, "ip:port"], ...]}}: every datagram each socket received and its sender.
"""
import json
import socket
import sys
import time

host, port, steps = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
socks, got = {}, {}
report = {"ok": True, "failed_step": None, "error": ""}
for number, step in enumerate(steps):
    action, name, arg = [*step, "", None][:3]
    try:
        if action == "socket":
            socks[name] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            got[name] = []
        elif action == "send":
            socks[name].sendto(arg.encode(), (host, port))
        elif action == "recv":
            socks[name].settimeout(float(arg))
            data, addr = socks[name].recvfrom(65536)
            got[name].append([data.decode(errors="replace"), f"{addr[0]}:{addr[1]}"])
        elif action == "sleep":
            time.sleep(float(arg))
        else:
            raise ValueError(f"unknown action {action!r}")
    except (OSError, ValueError) as exc:
        report.update(ok=False, failed_step=number, error=f"{action} {name}: {type(exc).__name__}: {exc}")
        break
report["received"] = got
print(json.dumps(report, ensure_ascii=False))
