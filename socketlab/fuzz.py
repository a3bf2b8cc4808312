"""`socketlab fuzz [SERVICE ...]`: the live fuzz and fault campaign against the running lab (see campaign.py).

    socketlab fuzz                        # ftp, chat, web and echo-epoll; 10,000 inputs each; FTP faults
    socketlab fuzz ftp --count 20000      # one service, more inputs
    socketlab fuzz chat --no-faults       # fuzzing and checks only
    socketlab fuzz --quick                # CI's reduced form: a few hundred inputs, one fault of each kind

Exit status 0 only if every row of the summary is ok.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from .campaign import FD_BOUND, RSS_BOUND, Campaign, Row
from .errors import UsageError
from .lab import Lab
from .settings import LabSettings

DEFAULT_SERVICES = ["ftp", "chat", "web", "echo-epoll"]
QUICK_COUNT = 300

console = Console()


def summary(rows: list[Row], seconds: float) -> Table:
    table = Table(title=f"fuzz and fault campaign ({seconds:.0f} s; bounds: +{FD_BOUND} fds, "
                        f"+{RSS_BOUND >> 20} MiB RSS)")
    for column in ("step", "target", "result", "s", "detail"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.step, row.target, "[green]ok" if row.ok else "[red]FAIL", f"{row.seconds:.0f}", row.detail)
    return table


def cmd_fuzz(settings: LabSettings, args: argparse.Namespace) -> int:
    lab = Lab(settings)
    running = lab.services()
    services = args.services or [s for s in DEFAULT_SERVICES if s in running]
    unknown = [s for s in services if s not in running]
    if unknown:
        raise UsageError(f"not running: {', '.join(unknown)}; the services are: {', '.join(running)}")
    count = args.count or (QUICK_COUNT if args.quick else 10_000)
    campaign = Campaign(lab, count=count, seconds=args.seconds, quick=args.quick, seed=args.seed,
                        progress=lambda text: console.print(f"[dim]{text}", highlight=False))
    started = time.monotonic()
    rows = campaign.run(services, faults=not args.no_faults)
    console.print(summary(rows, time.monotonic() - started))
    return 0 if rows and all(row.ok for row in rows) else 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("fuzz", help="fuzz services from client hosts, cut FTP transfers, check recovery",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="*", help=f"services to fuzz (default: {' '.join(DEFAULT_SERVICES)})")
    parser.add_argument("--count", type=int, help="mutated inputs per service (default 10000; --quick 300)")
    parser.add_argument("--seconds", type=float, default=120.0, help="time bound of each service's fuzzing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="CI's reduced form (32 MiB uploads, few inputs)")
    parser.add_argument("--no-faults", action="store_true", help="fuzz and check, cut no transfer")
    parser.set_defaults(func=cmd_fuzz)
