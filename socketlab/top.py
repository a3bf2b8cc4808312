"""`socketlab top SERVICE`: watch a concurrency model work, refreshed until Ctrl-C.

    socketlab top echo-fork              # a child process per client appears, and goes
    socketlab top echo-thread            # a thread per client
    socketlab top echo-select --once     # one process, one thread, every socket
    socketlab top echo-epoll --json      # one JSON document per sample (for scripts and tests)

Shows the service's processes as a tree (state, threads, descriptors, memory),
its TCP connections by state as `ss` sees them in the service's network
namespace, and totals. Connections between two loopback addresses (the
health probe, the chat's admin channel) are left out of the counts. Memory is
each process's resident set; a fork child shares most pages with its parent,
so the sum overstates what the children really cost.
"""

from __future__ import annotations

import argparse
import json
import time

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .argtypes import positive_seconds
from .errors import UsageError
from .lab import Lab
from .procview import Proc, Sample, Watcher
from .run import run_host_container
from .settings import LabSettings

STATE_NAMES = {"R": "running", "S": "sleeping", "D": "disk wait", "Z": "zombie", "T": "stopped", "I": "idle"}
MAX_CHILDREN_SHOWN = 12
MAX_CONNECTIONS_SHOWN = 10


def _mib(kb: int) -> str:
    return f"{kb / 1024:.1f} MiB"


def _proc_label(proc: Proc, role: str) -> Text:
    text = Text()
    text.append(f"{proc.pid} ", style="bold")
    text.append(proc.command[:48], style="cyan")
    state = STATE_NAMES.get(proc.state[:1], proc.state)
    text.append(f"  {state}", style="red" if proc.state[:1] == "Z" else "green")
    if proc.threads > 1:
        states = " ".join(f"{STATE_NAMES.get(s, s)} {n}" for s, n in sorted(proc.thread_states.items()))
        text.append(f"  threads {proc.threads} ({states})", style="magenta")
    fds = "?" if proc.fds is None else str(proc.fds)
    text.append(f"  fds {fds}  rss {_mib(proc.rss_kb)}", style="dim")
    if role:
        text.append(f"  [{role}]", style="yellow")
    return text


def process_tree(sample: Sample) -> Tree:
    """The service's processes as parent -> children, long families cut to the first few."""
    by_parent: dict[int, list[Proc]] = {}
    for proc in sample.processes:
        by_parent.setdefault(proc.ppid, []).append(proc)
    init, server = sample.init, sample.server
    tree = Tree(Text(f"processes of {sample.service}", style="bold"))

    def add(node: Tree, proc: Proc) -> None:
        role = "init: reaps orphans" if proc is init else "server" if proc is server else ""
        branch = node.add(_proc_label(proc, role))
        kids = [k for k in by_parent.get(proc.pid, []) if k.pid != proc.pid]
        for kid in kids[:MAX_CHILDREN_SHOWN]:
            add(branch, kid)
        if len(kids) > MAX_CHILDREN_SHOWN:
            branch.add(Text(f"+ {len(kids) - MAX_CHILDREN_SHOWN} more children", style="dim"))

    if sample.processes:
        add(tree, sample.processes[0])
    else:
        tree.add(Text("no process found (the service stopped?)", style="red"))
    return tree


def connections_table(sample: Sample) -> Table:
    conns = [c for c in sample.connections if not c.loopback]
    table = Table(title="TCP sockets (ss -tan; loopback left out)",
                  title_justify="left", expand=False)
    table.add_column("state")
    table.add_column("local", no_wrap=True)
    table.add_column("peer", no_wrap=True)
    order = {"LISTEN": 0, "ESTAB": 1}
    shown = sorted(conns, key=lambda c: (order.get(c.state, 2), c.state, c.peer))
    for conn in shown[:MAX_CONNECTIONS_SHOWN]:
        table.add_row(conn.state, conn.local, conn.peer)
    if len(shown) > MAX_CONNECTIONS_SHOWN:
        table.add_row("", f"+ {len(shown) - MAX_CONNECTIONS_SHOWN} more", "")
    return table


def summary_line(sample: Sample) -> Text:
    s = sample.summary()
    states = ", ".join(f"{state} {n}" for state, n in s["connection_states"].items()) or "none"
    return Text(f"{sample.service}: {s['processes']} process(es), {s['children']} child(ren) of the server, "
                f"{s['threads']} thread(s), {s['fds']} descriptors, {_mib(s['rss_kb'])} resident; "
                f"TCP: {states}", style="bold")


def render(sample: Sample) -> Group:
    return Group(summary_line(sample), process_tree(sample), connections_table(sample))


def cmd_top(settings: LabSettings, args: argparse.Namespace) -> int:
    console = Console()
    lab = Lab(settings)
    target = run_host_container(lab, args.service) or lab.service_container(args.service)
    if target.status != "running":
        raise UsageError(f"{args.service} is {target.status}; start the lab with `make up`")
    with Watcher(lab.docker, target, settings.client_image, settings.project, args.service) as watcher:
        if args.json:
            while True:
                print(json.dumps(watcher.sample().as_json()), flush=True)
                if args.once:
                    return 0
                time.sleep(args.interval)  # pacing between samples
        if args.once or not console.is_terminal:
            # Without a terminal (a pipe, a log) each sample is printed whole, one after another.
            while True:
                console.print(render(watcher.sample()))
                if args.once:
                    return 0
                time.sleep(args.interval)
        from rich.live import Live

        with Live(render(watcher.sample()), console=console, auto_refresh=False) as live:
            console.print("[dim]Ctrl-C to stop")
            while True:
                time.sleep(args.interval)
                live.update(render(watcher.sample()), refresh=True)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("top", help="a service's processes, threads and TCP connections, live",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service", help="compose service (e.g. echo-fork) or the NAME of `socketlab run --name`")
    parser.add_argument("--once", action="store_true", help="print one sample and exit")
    parser.add_argument("--json", action="store_true", help="print samples as JSON, one per line")
    parser.add_argument("--interval", type=positive_seconds, default=1.0, help="seconds between samples (default 1)")
    parser.set_defaults(func=cmd_top)
