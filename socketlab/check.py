"""`socketlab check`: the addressing lab's reachability matrix, run live on the lab.

Starts fresh client hosts (one on each network, and a public one that routes
the private subnet at the NAT router), probes every bind-demo listener from
them and from inside the bind-demo container, and prints the table of
`socketlab.reachability` with each cell marked as declared or not. The exit
status is 1 if any cell is unexpected, so it doubles as a smoke test.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets

import docker
import docker.errors
from rich.console import Console

from .argtypes import positive_seconds
from .hosts import start_client_host
from .lab import Lab, container_ip
from .reachability import Demo, Matrix, docker_prober, matrix_table, run_matrix
from .settings import LabSettings

console = Console()


def live_matrix(settings: LabSettings, client: docker.DockerClient | None = None, timeout: float = 2.0) -> Matrix:
    """Run the matrix on the running lab from throwaway client hosts (removed afterwards)."""
    client = client or docker.from_env()
    lab = Lab(settings, client)
    demo_container = lab.service_container("bind-demo")
    demo = Demo(container_ip(settings, demo_container, "public"), container_ip(settings, demo_container, "private"))
    router = lab.service_ip("router", "public") if lab.has_service("router") else None
    hosts = []
    # Every host of this run carries one token, so a Ctrl-C even mid-start leaves none behind.
    token = {"socketlab.check": secrets.token_hex(4)}
    try:
        for network in ("public", "private", "public"):
            hosts.append(start_client_host(client, settings, network,
                                           labels={"socketlab.system": f"check: {network} client", **token}))
        public, private, intruder = hosts
        if router:  # the way in an attacker would try: the private subnet routed at the router's public side
            intruder.run("ip", "route", "replace", f"{settings.subnet_ip('private', 0)}/24", "via", router)
        probers = {"inside the container": docker_prober(demo_container.id, timeout),
                   "public client": docker_prober(public.id, timeout),
                   "private client": docker_prober(private.id, timeout),
                   "public client routed at the router": docker_prober(intruder.id, timeout)}
        sources = {"inside the container": f"{demo.public_ip} + {demo.private_ip}",
                   "public client": public.ip, "private client": private.ip,
                   "public client routed at the router": intruder.ip}
        return run_matrix(demo, probers, sources, nat_address=router)
    finally:
        # sparse: no inspect per container, so a host gone meanwhile cannot turn a Ctrl-C into a NotFound
        for container in client.containers.list(all=True, sparse=True,
                                                filters={"label": "socketlab.check=" + token["socketlab.check"]}):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def cmd_check(settings: LabSettings, args: argparse.Namespace) -> int:
    console.print("starting a client host on each network, then probing (Ctrl-C stops)", highlight=False)
    try:
        with console.status("probing every listener from four hosts (unreachable ones take the timeout)"):
            matrix = live_matrix(settings, timeout=args.timeout)
    except LookupError as exc:
        console.print(f"[red]{exc}")
        return 2
    console.print(matrix_table(matrix))
    bad = matrix.unexpected()
    if bad:
        console.print(f"[bold red]{len(bad)} cell(s) differ from the declared table")
        return 1
    console.print("[green]every cell as declared: 127.0.0.1 is this host only, an interface IP is reached "
                  "through that address, 0.0.0.0 through every address; the private network (内网) is reached "
                  "only from inside it, and reaches public addresses (公网) only through the NAT router, "
                  "which the servers see instead of the private host")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="run the bind()/reachability matrix live and show it",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=positive_seconds, default=2.0,
                        help="seconds before a silent probe counts as no")
    parser.set_defaults(func=cmd_check)
