"""What a service is doing, seen from inside its namespaces: processes, threads, sockets, descriptors.

The service images stay small and carry neither ``ps`` nor ``ss``. A watcher
container of the client image (which has procps and iproute2) joins the
service's PID *and* network namespaces (``--pid container:ID --network
container:ID``), as `socketlab capture` joins the network one: procps' ``ps``
then lists exactly the service's processes and threads, and iproute2's ``ss``
its TCP sockets, without touching the service. Each sample is one
``docker exec`` of a short script whose sections are parsed here.

The watcher's own processes share the PID namespace but not the family: the
service's processes descend from its PID 1, the watcher's and every exec's
have parent 0 (their parent lives outside the namespace), so they are left out.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import asdict, dataclass, field

import docker
import docker.errors

from .errors import LabError

# One exec per sample. Descriptors are counted with ls (what `ls /proc/PID/fd | wc -l` shows a learner);
# a process that ended between ps and ls is simply missing from that section.
SAMPLE_SCRIPT = r"""
echo '## ps'; ps -e -o pid=,ppid=,nlwp=,stat=,rss=,args=
echo '## threads'; ps -eL -o pid=,tid=,stat=,comm=
echo '## fds'; for d in /proc/[0-9]*; do n=$(ls -U "$d/fd" 2>/dev/null | wc -l) && echo "${d#/proc/} $n"; done
echo '## ss'; ss -Htan
"""

INIT_NAMES = ("docker-init", "tini", "/sbin/docker-init")


@dataclass
class Proc:
    pid: int
    ppid: int
    threads: int
    state: str  # ps STAT: R running, S sleeping, D disk wait, Z zombie, T stopped (+ flags)
    rss_kb: int
    command: str
    fds: int | None = None
    thread_states: dict[str, int] = field(default_factory=dict)  # first STAT letter -> count


@dataclass
class Conn:
    state: str  # as ss names it: ESTAB, LISTEN, TIME-WAIT, CLOSE-WAIT, SYN-RECV, ...
    local: str
    peer: str

    @property
    def loopback(self) -> bool:
        """Bound to 127.0.0.0/8: the container talking to itself (health probes, Docker's DNS at 127.0.0.11)."""
        return _is_loopback(self.local)


@dataclass
class Sample:
    service: str
    processes: list[Proc]  # the service's own, PID 1 first
    connections: list[Conn]

    @property
    def init(self) -> Proc | None:
        """Docker's `init: true` shim (PID 1 reaping orphans), if the service runs under one."""
        first = self.processes[0] if self.processes else None
        if first and first.pid == 1 and first.command.split()[0].endswith(INIT_NAMES):
            return first
        return None

    @property
    def server(self) -> Proc | None:
        """The service's main program: PID 1, or the init shim's first child."""
        init = self.init
        if init is None:
            return self.processes[0] if self.processes else None
        return next((p for p in self.processes if p.ppid == init.pid), None)

    def summary(self) -> dict[str, object]:
        own = [p for p in self.processes if p is not self.init]
        server = self.server
        states = Counter(c.state for c in self.connections if not c.loopback)
        return {
            "processes": len(own),
            "children": sum(1 for p in own if server is not None and p.ppid == server.pid),
            "threads": sum(p.threads for p in own),
            "fds": sum(p.fds or 0 for p in own),
            "rss_kb": sum(p.rss_kb for p in own),
            "established": states.get("ESTAB", 0),
            "connection_states": dict(sorted(states.items())),
        }

    def as_json(self) -> dict[str, object]:
        return {"service": self.service, "summary": self.summary(),
                "server_pid": self.server.pid if self.server else None,
                "processes": [asdict(p) for p in self.processes],
                "connections": [asdict(c) | {"loopback": c.loopback} for c in self.connections]}


def _is_loopback(endpoint: str) -> bool:
    host = endpoint.rpartition(":")[0].strip("[]")
    host = host.removeprefix("::ffff:")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None and line.strip():
            current.append(line)
    return sections


def parse_sample(service: str, text: str) -> Sample:
    """Turn the script's output into a Sample holding only the service's own processes."""
    sections = _sections(text)
    procs: dict[int, Proc] = {}
    for line in sections.get("ps", []):
        parts = line.split(None, 5)
        if len(parts) < 6:
            continue
        pid, ppid, nlwp, stat, rss, args = parts
        procs[int(pid)] = Proc(int(pid), int(ppid), int(nlwp), stat, int(rss), args)
    for line in sections.get("threads", []):
        parts = line.split(None, 3)
        if len(parts) >= 3 and int(parts[0]) in procs:
            states = procs[int(parts[0])].thread_states
            states[parts[2][0]] = states.get(parts[2][0], 0) + 1
    for line in sections.get("fds", []):
        pid, _, count = line.partition(" ")
        if pid.isdigit() and int(pid) in procs and count.strip().isdigit():
            procs[int(pid)].fds = int(count)
    own = _descendants_of_1(procs)
    conns = []
    for line in sections.get("ss", []):
        parts = line.split()
        if len(parts) >= 5:
            conns.append(Conn(parts[0], parts[3], parts[4]))
    return Sample(service, own, conns)


def _descendants_of_1(procs: dict[int, Proc]) -> list[Proc]:
    if 1 not in procs:
        return []
    children: dict[int, list[Proc]] = {}
    for proc in procs.values():
        if proc.pid != 1:
            children.setdefault(proc.ppid, []).append(proc)
    keep, frontier = [procs[1]], [1]
    while frontier:
        for proc in children.get(frontier.pop(), []):
            keep.append(proc)
            frontier.append(proc.pid)
    return sorted(keep, key=lambda p: p.pid)


class Watcher:
    """A client-image container in a service's PID and network namespaces; sample() looks through it."""

    def __init__(self, client: docker.DockerClient, target, image: str, project: str, service: str) -> None:
        self.service = service
        self.container = client.containers.run(
            image, ["sleep", "infinity"], detach=True, auto_remove=True,
            pid_mode=f"container:{target.id}", network_mode=f"container:{target.id}",
            labels={"socketlab.watch": project, "socketlab.system": f"top: watching {service}"},
        )
        try:
            # Descriptors of another user's processes are readable by that user only: sample as the service's user.
            code, out = self.container.exec_run(["stat", "-c", "%u", "/proc/1"])
        except BaseException:  # Ctrl-C or an engine error while starting: leave no watcher behind
            self.close()
            raise
        self.user = out.decode().strip() if code == 0 and out.strip().isdigit() else "0"

    def sample(self) -> Sample:
        try:
            _code, out = self.container.exec_run(["sh", "-c", SAMPLE_SCRIPT], user=self.user)
        except docker.errors.APIError:
            # The watcher lives in the service's PID namespace: it ends when the service does.
            raise LabError(f"{self.service} stopped while being watched; `socketlab ps` shows the lab") from None
        return parse_sample(self.service, out.decode(errors="replace"))

    def close(self) -> None:
        try:
            self.container.remove(force=True)
        except docker.errors.APIError:
            pass  # already gone (auto_remove, or the service stopped and took the namespace with it)

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
