"""Look at a learner's server from its own host: its processes, threads, descriptors and CPU.

Run on the server's host as ``python3 - MODE PID [ARG]`` (this file's text on stdin);
prints one JSON line. PID may be the path of a file holding the pid (the checker's pidfile):
one `docker exec` fewer. Reads /proc only, so it sees what `ps`, `pstree`, `ss` and
`ls /proc/PID/fd` would show, without their cost per sample.

    now PID            the tree under PID right now: processes, zombies, threads, descriptors,
                       open-files limit (soft, hard)
    usage PID SECONDS PORT
                       over SECONDS: the CPU the tree used (a fraction of one core) and how often
                       one of its threads was running or ready to run (a spinning loop is, even
                       when a loaded machine gives it little CPU); then `now` and the connections
                       on PORT left in CLOSE_WAIT
    watch PID JSON     {"clients": n, "port": p, "seconds": s, "leader": ip, "meeting_port": q,
                       "after": a}: first tell the clients' hosts it is watching (they connect
                       only then: see Meeting in echo_probe.py); sample every 20 ms the most
                       processes, threads and accepted connections on the port seen at once,
                       until the n clients have been accepted and start to leave, or every one
                       left, or s seconds pass; then, the clients gone, watch the server settle
                       for up to a seconds (at least one): its `usage` then, under "after"
    nofile PID N       raise PID's soft open-files limit to N (at most the hard one), then `now`
    family PIDFILE SECONDS
                       for a program not started yet (Checkup.start(watch=True)): create
                       PIDFILE.watching (the program starts only once it exists), wait for
                       PIDFILE, then every 20 ms take the tree under that pid, until it has
                       exited or SECONDS pass: {"root": pid, "snapshots": [[[pid, ppid, state,
                       threads], ...], ...]}, a snapshot kept only when it differs from the last
"""

from __future__ import annotations

import json
import os
import resource
import select
import socket
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def stat_of(pid: int) -> dict | None:
    """ppid, state, threads and CPU ticks of one process (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # the command sits in parentheses and may hold spaces: split after the last ")"
    fields = raw[raw.rindex(")") + 2:].split()
    return {"pid": pid, "state": fields[0], "ppid": int(fields[1]),
            "ticks": int(fields[11]) + int(fields[12]), "threads": int(fields[17])}


def tree(root: int) -> list[dict]:
    """`root` and all its descendants."""
    table = [s for s in (stat_of(int(d)) for d in os.listdir("/proc") if d.isdigit()) if s]
    found = [s for s in table if s["pid"] == root]
    frontier = {root}
    while frontier:
        children = [s for s in table if s["ppid"] in frontier and s["pid"] not in frontier]
        found += children
        frontier = {s["pid"] for s in children}
    return found


def descriptors(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def snapshot(root: int) -> dict:
    procs = tree(root)
    live = [p for p in procs if p["state"] != "Z"]
    try:
        soft, hard = resource.prlimit(root, resource.RLIMIT_NOFILE)
    except OSError:
        soft = hard = -1
    return {
        "alive": bool(procs) and procs[0]["state"] != "Z",
        "processes": len(live),                       # the server and its live children
        "zombies": sum(p["state"] == "Z" for p in procs),
        "threads": sum(p["threads"] for p in live),   # every thread of every live process
        "root_threads": procs[0]["threads"] if procs else 0,
        "fds": descriptors(root),                     # the parent's open descriptors
        "nofile": [soft, hard],
        "ticks": sum(p["ticks"] for p in procs),
    }


def connections_in(port: int, state: str = "01", accepted: bool = False) -> int:
    """TCP connections on local `port` in this host's network namespace, in `state` (01: established).

    With `accepted`, only those the server has accepted: one still waiting in the listen
    queue has no socket file yet (inode 0).
    """
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == state and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        count += not accepted or fields[9] != "0"
        except OSError:
            pass
    return count


def running(pids: list[int]) -> bool:
    """Is one thread of these processes running or ready to run (state R)?"""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as f:
                    raw = f.read()
            except OSError:
                continue
            if raw[raw.rindex(")") + 2] == "R":
                return True
    return False


def usage(root: int, seconds: float, port: int, settled=None) -> dict:
    """CPU and readiness to run over `seconds` (or until `settled(snapshot)` holds, after at least one)."""
    before = snapshot(root)["ticks"]
    start = time.monotonic()
    samples = busy = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        if elapsed >= 1.0 and settled is not None and samples % 10 == 0 and settled(snapshot(root)):
            break
        samples += 1
        busy += running([p["pid"] for p in tree(root)])
        time.sleep(0.01)
    after = snapshot(root)
    after["cpu"] = round((after["ticks"] - before) / TICKS / (time.monotonic() - start), 3)
    after["running"] = round(busy / max(samples, 1), 2)
    after["close_wait"] = connections_in(port, "08")
    return after


class Leader:
    """The watch's side of the clients' meeting (see Meeting in echo_probe.py): the clients
    connect only once it is watching, and do not leave before it has sampled them all."""

    def __init__(self, leader: str, port: int, seconds: float) -> None:
        self.conn = None
        self.lines = None
        deadline = time.monotonic() + seconds
        while self.conn is None and time.monotonic() < deadline:
            try:
                self.conn = socket.create_connection((leader, port), timeout=1)
            except OSError:
                time.sleep(0.1)
        self.met = False
        if self.conn is not None:
            self.lines = self.conn.makefile("rb")
            self.conn.sendall(b"watch\n")
            self.conn.settimeout(max(deadline - time.monotonic(), 0.05))
            try:
                self.met = self.lines.readline().strip() == b"go"
            except OSError:
                pass

    def asked_to_sample(self) -> bool:
        """Has the leader asked for a last sample (every client host done, all still connected)?"""
        if self.conn is None or not select.select([self.conn], [], [], 0)[0]:
            return False
        self.conn.settimeout(1)
        try:
            return self.lines.readline().strip() == b"sample"
        except OSError:
            return False

    def sampled(self) -> None:
        """Tell the leader the sample is taken: the clients may go."""
        if self.conn is not None:
            try:
                self.conn.sendall(b"done\n")
            except OSError:
                pass
            self.conn.close()
            self.conn = None


def quiet(now: dict) -> bool:
    """Every child and every thread of the clients' time has ended, and none is left a zombie."""
    return now["processes"] <= 1 and now["threads"] <= 1 and not now["zombies"]


def watch(root: int, clients: int, port: int, seconds: float = 30.0, leader: str = "", meeting_port: int = 0,
          after: float = 1.0) -> dict:
    most = {"processes": 0, "threads": 0, "accepted": 0}
    samples = 0
    empty_since = None
    meeting = Leader(leader, meeting_port, seconds) if leader else None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        asked = meeting is not None and meeting.asked_to_sample()
        procs = [p for p in tree(root) if p["state"] != "Z"]
        now = connections_in(port, accepted=True)
        most["processes"] = max(most["processes"], len(procs))
        most["threads"] = max(most["threads"], sum(p["threads"] for p in procs))
        most["accepted"] = max(most["accepted"], now)
        samples += 1
        if asked:
            meeting.sampled()  # every client host is done: the sample above saw them all still there
        if most["accepted"] >= clients and now < clients:
            break  # they all came, and now they are leaving
        if most["accepted"] and not now:
            empty_since = empty_since or time.monotonic()
            if time.monotonic() - empty_since > 1.0:
                break  # they came and left without all being served at once (a server that queues them)
        else:
            empty_since = None
        time.sleep(0.02)
    if meeting is not None:
        meeting.sampled()
    while connections_in(port) and time.monotonic() < end:  # the last clients are still leaving
        time.sleep(0.05)
    return {"max_processes": most["processes"], "max_threads": most["threads"],
            "max_accepted": most["accepted"], "samples": samples, "met": meeting.met if meeting else True,
            "after": usage(root, max(after, 1.0), port, settled=quiet)}


def nofile(root: int, wanted: int) -> dict:
    soft, hard = resource.prlimit(root, resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.prlimit(root, resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return snapshot(root)


def family(pidfile: str, seconds: float) -> dict:
    end = time.monotonic() + seconds
    open(pidfile + ".watching", "w").close()
    root = None
    while root is None and time.monotonic() < end:
        try:
            with open(pidfile) as f:
                text = f.read().strip()
            root = int(text) if text.isdigit() else None
        except OSError:
            pass
        if root is None:
            time.sleep(0.01)
    snapshots: list[list[list]] = []
    while root is not None and time.monotonic() < end:
        now = [[p["pid"], p["ppid"], p["state"], p["threads"]] for p in tree(root)]
        if not now:
            break  # the program has exited (and been reaped)
        if not snapshots or now != snapshots[-1]:
            snapshots.append(now)
        time.sleep(0.02)
    return {"root": root, "snapshots": snapshots}


def main(argv: list[str]) -> dict:
    mode, pid = argv[0], argv[1]
    if mode == "family":
        return family(pid, float(argv[2]))
    if not pid.isdigit():
        with open(pid) as f:
            pid = f.read().strip()
    root = int(pid)
    if mode == "now":
        return snapshot(root)
    if mode == "usage":
        return usage(root, float(argv[2]), int(argv[3]))
    if mode == "watch":
        return watch(root, **json.loads(argv[2]))
    if mode == "nofile":
        return nofile(root, int(argv[2]))
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
