"""`socketlab capture SERVICE`: tcpdump inside a service's network namespace, saved as pcap.

The service images carry no tcpdump and run with every capability dropped,
so the capture runs in a throwaway client-image container that *joins* the
service's network namespace (``--network container:<id>``): it sees exactly
the interfaces and packets the service sees, both networks for a multi-homed
one, without touching the service. tcpdump writes pcap to its stdout
(``--immediate-mode -U -w -``: each packet read and written out at once),
which is streamed into a local file that Wireshark opens — or to stdout
with ``-o -`` (``... -o - | wireshark -k -i -``).

The health checks' traffic (every two seconds, over the service's loopback,
from the probes' own address) is left out by default, so a capture holds
the learner's packets only; ``--with-probes`` keeps it.

Example, the notes' three-way handshake and four-way close (1.3.1)::

    socketlab capture echo-epoll -c 20 -o handshake.pcap tcp port 8888
    socketlab client sh -c 'echo hi | nc -N echo-epoll 8888'     # in another terminal
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import docker
from rich.console import Console
from socketlab_common.probe import PROBE_SOURCE

from .argtypes import LabArgumentParser, positive_int, positive_seconds
from .lab import Lab
from .pcap import closed_both_ways, connection_story, read_capture
from .run import run_host_container
from .settings import LabSettings

console = Console(stderr=True, soft_wrap=True)  # one summary line per fact, even in a log


def capture_filter(bpf: list[str] | None, with_probes: bool = False) -> list[str]:
    """The tcpdump filter words: the user's, and (unless asked otherwise) no health-probe packets."""
    words = list(bpf or [])
    if with_probes:
        return words
    quiet = ["not", "host", PROBE_SOURCE]
    return ["(", *words, ")", "and", *quiet] if words else quiet


def capture_argv(container_id: str, *, interface: str = "any", count: int | None = None,
                 duration: float | None = None, bpf: list[str] | None = None, project: str = "",
                 image: str = "socketlab/client:latest", with_probes: bool = False, run_id: str = "") -> list[str]:
    """The `docker run` line: tcpdump in the namespace of `container_id`, pcap on stdout.

    `--immediate-mode` hands each packet to tcpdump as it arrives: by default
    libpcap's ring buffer holds packets for up to a second, and a Ctrl-C in
    that second ends tcpdump with them unread ("0 packets captured, 10
    received by filter"), so a capture stopped right after a short session
    would be empty. `-U` then writes each one out at once. In that mode the
    ring has one slot per packet, each as large as the snapshot length:
    tcpdump's defaults (256 KiB, a 2 MiB buffer) leave 8 slots, and a busy
    machine drops the 9th packet of a burst ("2 packets dropped by kernel",
    the last FIN gone). 64 KiB holds any packet of these links whole, and a
    16 MiB buffer gives some 250 slots.
    """
    tcpdump = ["tcpdump", "-n", "--immediate-mode", "-U", "-s", "65535", "-B", "16384",
               "-i", interface, "-w", "-"]
    if count:
        tcpdump += ["-c", str(count)]
    tcpdump += capture_filter(bpf, with_probes)
    if duration:
        # SIGINT makes tcpdump flush and print its counts, just as Ctrl-C does.
        tcpdump = ["timeout", "-s", "INT", f"{duration:g}", *tcpdump]
    return ["docker", "run", "--rm", "--init", "--network", f"container:{container_id}",
            "--cap-add", "NET_RAW", "--cap-add", "NET_ADMIN",
            "--label", f"socketlab.capture={project}", "--label", f"socketlab.capture.run={run_id}",
            image, *tcpdump]


@dataclass
class RunningCapture:
    """A capture in progress: the docker process and the file it streams into."""

    process: subprocess.Popen
    path: Path | None
    run_id: str = ""

    def stop(self, timeout: float = 15) -> int:
        """Stop like Ctrl-C (tcpdump flushes its last packets) and wait for the end."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.remove_container()
        return code

    def remove_container(self) -> None:
        """`docker run --rm` removes it, unless the docker client was stopped before its container:
        then it would sniff on, unseen. By its run label, whatever is left goes."""
        if not self.run_id:
            return
        client = docker.from_env()
        for container in client.containers.list(all=True, sparse=True,
                                                filters={"label": f"socketlab.capture.run={self.run_id}"}):
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                container.remove(force=True)


def start_capture(settings: LabSettings, service: str, output: Path | None, *, interface: str = "any",
                  count: int | None = None, duration: float | None = None,
                  bpf: list[str] | None = None, with_probes: bool = False) -> RunningCapture:
    """Start tcpdump in `service`'s namespace, streaming pcap into `output` (None: our stdout)."""
    lab = Lab(settings)
    # `socketlab run FILE.py --name server` hosts are captured by that name too
    container = run_host_container(lab, service) or lab.service_container(service)
    run_id = secrets.token_hex(4)
    argv = capture_argv(container.id, interface=interface, count=count, duration=duration, bpf=bpf,
                        project=settings.project, image=settings.client_image, with_probes=with_probes,
                        run_id=run_id)
    sink = open(output, "wb") if output is not None else sys.stdout.buffer  # closed below: the child has it
    try:
        # Own session: a terminal's Ctrl-C reaches us once, and we forward it once.
        process = subprocess.Popen(argv, stdout=sink, start_new_session=True)
    finally:
        if output is not None:
            sink.close()
    return RunningCapture(process, output, run_id)


def describe(path: Path) -> str:
    """One line about a finished capture: packets, and the TCP story in it."""
    try:
        capture = read_capture(path.read_bytes())
    except (OSError, ValueError) as exc:
        return f"no readable capture: {exc}"
    story = connection_story(capture.tcp)
    close = "yes" if closed_both_ways(capture.tcp) else "no"
    return (f"{capture.packets} packets ({len(capture.tcp)} TCP): SYN {story['SYN']}, SYN-ACK {story['SYN-ACK']}, "
            f"FIN {story['FIN']}, RST {story['RST']}, data segments {story['data']}; four-way close seen: {close}")


def packet_lines(path: Path, limit: int = 40) -> list[str]:
    """The TCP segments of a small capture, tcpdump-style, with time since the first one."""
    try:
        packets = read_capture(path.read_bytes()).tcp
    except (OSError, ValueError):
        return []
    if not packets or len(packets) > limit:
        return []
    start = packets[0].time
    return [f"{p.time - start:9.6f}  {p}" for p in packets]


def cmd_capture(settings: LabSettings, args: argparse.Namespace) -> int:
    args = split_filter(args)
    to_stdout = args.output == "-"
    output = None if to_stdout else Path(args.output or f"{args.service}-{time.strftime('%Y%m%d-%H%M%S')}.pcap")
    try:
        running = start_capture(settings, args.service, output, interface=args.interface, count=args.count,
                                duration=args.duration, bpf=args.filter, with_probes=args.with_probes)
    except LookupError as exc:
        console.print(f"[red]{exc}")
        return 2
    console.print(f"capturing in {args.service}'s network namespace"
                  + ("" if to_stdout else f" into {output}") + "; Ctrl-C to stop")
    if not args.with_probes:
        console.print(f"health probes (from {PROBE_SOURCE}) are left out; --with-probes keeps them", style="dim")
    try:
        code = running.process.wait()
    except KeyboardInterrupt:
        code = running.stop()
    else:
        running.remove_container()
    if output is not None:
        for line in packet_lines(output):
            console.print(line, highlight=False)
        console.print(describe(output))
        console.print(f"open it with: wireshark {output}   or: tcpdump -nr {output}")
    # 124 is timeout(1)'s "time was up": for --duration that is success.
    return 0 if code in (0, 124, -signal.SIGINT, 130) else code


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", help="pcap file (default SERVICE-TIME.pcap; '-' for stdout)")
    parser.add_argument("-c", "--count", type=positive_int, help="stop after this many packets")
    parser.add_argument("--duration", type=positive_seconds, help="stop after this many seconds")
    parser.add_argument("-i", "--interface", default="any", help="interface inside the service (default any)")
    parser.add_argument("--with-probes", action="store_true",
                        help=f"keep the health checks' packets (from {PROBE_SOURCE}), left out by default")


def split_filter(args: argparse.Namespace) -> argparse.Namespace:
    """Let options follow the filter words, as in ``capture echo-epoll tcp port 8888 -c 20``.

    argparse's parse_args cannot put positionals after options into a second
    positional, so the words after SERVICE arrive unparsed and are sorted here.
    """
    inner = LabArgumentParser(prog="socketlab capture SERVICE")
    _add_options(inner)
    inner.add_argument("filter", nargs="*")
    rest = inner.parse_intermixed_args(args.filter)
    args.with_probes = args.with_probes or rest.with_probes
    for name in ("output", "count", "duration"):
        if getattr(rest, name) is not None:
            setattr(args, name, getattr(rest, name))
    if rest.interface != "any":
        args.interface = rest.interface
    args.filter = rest.filter
    return args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("capture", help="tcpdump in a service's network namespace into a pcap file",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_options(parser)
    parser.add_argument("service", help="compose service, e.g. echo-epoll or bind-demo, or the NAME of "
                                        "`socketlab run FILE.py --name NAME`")
    parser.add_argument("filter", nargs=argparse.REMAINDER, help="tcpdump filter, e.g. tcp port 8888")
    parser.set_defaults(func=cmd_capture)
