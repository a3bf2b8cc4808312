"""The lab on Docker Swarm: one lab spread over several machines, on the engine's own overlay networks.

    socketlab swarm init               first machine: docker swarm init, prints the join command
    socketlab swarm join TOKEN ADDR    every other machine: docker swarm join
    socketlab up --swarm               first machine: overlays + the services as plain containers
    socketlab client ... / run ...     any machine of the swarm: a host on the same networks, own IP
    socketlab down --swarm             every container it made, on every machine it can reach; the overlays
    socketlab swarm leave              each machine, at the end

Why not `docker stack deploy`: it drops `ipv4_address` (swarm services get no
static IPs: moby issue 24170), turns `127.0.0.1:` port bindings into `0.0.0.0`,
ignores `build` and `security_opt`, and rejects `profiles` and `depends_on`
conditions. So the lab's networks become swarm-scoped *attachable* overlays
with the compose file's subnets and internal flag, and each service becomes
a plain container on them with its static address, as on one machine.

Placement: `--place web=laptop2,echo-*=laptop2` puts services on another
machine; SOCKETLAB_NODES="laptop2=ssh://teacher@192.168.3.11" says how to
reach that machine's engine (any DOCKER_HOST form). Unplaced services run on
this machine. Every machine needs the lab's images (`socketlab build` there).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
from dataclasses import dataclass, field

import docker
import docker.errors
from docker.types import EndpointConfig, Healthcheck, IPAMConfig, IPAMPool
from rich.console import Console

from .compose import run_compose
from .errors import LabError, UsageError, explain_docker_error
from .settings import LabSettings, detect_host_address

console = Console()
LOCAL = "local"
SWARM_LABEL = "socketlab.swarm"


@dataclass(frozen=True)
class OverlaySpec:
    name: str
    subnet: str
    gateway: str
    ip_range: str | None
    internal: bool


@dataclass
class ContainerSpec:
    """One service as a plain container: where it runs, its networks (name -> static IP), the rest."""

    service: str
    name: str
    image: str
    networks: dict[str, str | None]
    options: dict = field(default_factory=dict)
    node: str = LOCAL


# --- the plan: pure, from `docker compose config` ------------------------------------------------

def overlay_specs(config: dict) -> list[OverlaySpec]:
    specs = []
    for net in (config.get("networks") or {}).values():
        ipam = ((net.get("ipam") or {}).get("config") or [{}])[0]
        specs.append(OverlaySpec(net["name"], ipam["subnet"], ipam.get("gateway", ""), ipam.get("ip_range"),
                                 bool(net.get("internal"))))
    return sorted(specs, key=lambda s: s.name)


def _duration_ns(text: str | None) -> int | None:
    if not text:
        return None
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)(ms|s|m|h)", text):
        total += float(number) * {"ms": 1e-3, "s": 1, "m": 60, "h": 3600}[unit]
    return int(total * 1e9)


def _ports(ports: list[dict]) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for port in ports:
        published, target, proto = str(port["published"]), str(port["target"]), port.get("protocol", "tcp")
        first, _, last = published.partition("-")
        t_first = int(target.partition("-")[0])
        for offset in range(int(last or first) - int(first) + 1):
            out[f"{t_first + offset}/{proto}"] = (port.get("host_ip") or "0.0.0.0", int(first) + offset)
    return out


def container_specs(config: dict, project: str, only: list[str] | None = None) -> list[ContainerSpec]:
    """Every service `up` starts (no profile; not on the host network: the bridge-only host rule) as a container."""
    networks = config.get("networks") or {}
    specs = []
    for name, service in sorted(config["services"].items()):
        if service.get("profiles") or service.get("network_mode") or (only and name not in only):
            continue
        options: dict = {
            "environment": service.get("environment") or {},
            "labels": {**(service.get("labels") or {}), "com.docker.compose.project": project,
                       "com.docker.compose.service": name, SWARM_LABEL: "1"},
            "init": bool(service.get("init")), "read_only": bool(service.get("read_only")),
            "cap_add": service.get("cap_add"), "cap_drop": service.get("cap_drop"),
            "security_opt": service.get("security_opt"), "sysctls": service.get("sysctls"),
            "pids_limit": service.get("pids_limit"), "ports": _ports(service.get("ports") or []),
            "tmpfs": {path.split(":")[0]: path.partition(":")[2] for path in service.get("tmpfs") or []},
            "hostname": name,
        }
        if service.get("entrypoint"):
            options["entrypoint"] = service["entrypoint"]
        if service.get("command"):
            options["command"] = service["command"]
        health = service.get("healthcheck")
        if health and health.get("test"):
            options["healthcheck"] = Healthcheck(test=health["test"], interval=_duration_ns(health.get("interval")),
                                                 timeout=_duration_ns(health.get("timeout")),
                                                 retries=health.get("retries"),
                                                 start_period=_duration_ns(health.get("start_period")))
        nets = {networks[key]["name"]: (opts or {}).get("ipv4_address")
                for key, opts in (service.get("networks") or {}).items()}
        specs.append(ContainerSpec(name, f"{project}-{name}-1", service["image"], nets,
                                   {k: v for k, v in options.items() if v not in (None, [], {})}))
    return specs


def parse_pairs(text: str, what: str) -> dict[str, str]:
    """``"web=laptop2,echo-*=laptop2"`` -> {"web": "laptop2", "echo-*": "laptop2"}."""
    pairs = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key or not value:
            raise UsageError(f"{what}: {item!r} is not NAME=VALUE (e.g. web=laptop2)")
        pairs[key] = value
    return pairs


def place(specs: list[ContainerSpec], placement: dict[str, str]) -> dict[str, list[ContainerSpec]]:
    """Which containers each machine gets: the first matching pattern's machine, else this one."""
    by_node: dict[str, list[ContainerSpec]] = {}
    for spec in specs:
        spec.node = next((node for pattern, node in placement.items() if fnmatch.fnmatch(spec.service, pattern)),
                         LOCAL)
        by_node.setdefault(spec.node, []).append(spec)
    return by_node


def join_address(addr: str) -> str:
    """The manager's address for `docker swarm join`: port 2377 unless given."""
    return addr if ":" in addr else f"{addr}:2377"


# --- acting on engines ----------------------------------------------------------------------------

def engines(nodes: dict[str, str], needed: set[str]) -> dict[str, docker.DockerClient]:
    """A docker client per machine: this one, and each SOCKETLAB_NODES entry it can reach."""
    clients = {LOCAL: docker.from_env()}
    for node in sorted(needed - {LOCAL}):
        if node not in nodes:
            raise UsageError(f"no engine for machine {node!r}: set SOCKETLAB_NODES=\"{node}=ssh://user@host\"")
        clients[node] = docker.DockerClient(base_url=nodes[node], use_ssh_client=nodes[node].startswith("ssh://"))
    return clients


def swarm_state(client: docker.DockerClient) -> str:
    return client.info().get("Swarm", {}).get("LocalNodeState", "inactive")


def create_overlays(client: docker.DockerClient, specs: list[OverlaySpec], project: str) -> None:
    for spec in specs:
        try:
            client.networks.get(spec.name)
            continue
        except docker.errors.NotFound:
            pass
        pool = IPAMPool(subnet=spec.subnet, gateway=spec.gateway or None, iprange=spec.ip_range)
        client.networks.create(spec.name, driver="overlay", attachable=True, internal=spec.internal,
                               scope="swarm", ipam=IPAMConfig(pool_configs=[pool]),
                               labels={"com.docker.compose.project": project, SWARM_LABEL: "1"})


def start_container(client: docker.DockerClient, spec: ContainerSpec):
    """Create the container on its first network with its static IP, attach the others, start it."""
    (first, first_ip), *others = spec.networks.items()
    api = client.api.api_version
    options = dict(spec.options)
    container = client.containers.create(
        spec.image, options.pop("command", None), name=spec.name, detach=True, network=first,
        networking_config={first: EndpointConfig(api, ipv4_address=first_ip)} if first_ip else None, **options)
    for net, ip in others:
        client.networks.get(net).connect(container, ipv4_address=ip)
    container.start()
    return container


def wait_healthy(containers: list, timeout: float = 120) -> list[str]:
    """Names of containers still not healthy (or exited) at the deadline; [] when all are."""
    import time

    deadline = time.monotonic() + timeout
    pending = list(containers)
    while pending and time.monotonic() < deadline:
        for container in list(pending):
            container.reload()
            state = container.attrs["State"]
            if state.get("Health", {}).get("Status", "healthy") == "healthy" and state["Running"]:
                pending.remove(container)
        if pending:
            time.sleep(0.5)  # polling Docker's health status, bounded by the deadline
    return [c.name for c in pending]


def up_swarm(settings: LabSettings, only: list[str] | None, placement: dict[str, str],
             nodes: dict[str, str]) -> dict[str, list[ContainerSpec]]:
    config = json.loads(run_compose(settings, "config", "--format", "json", capture=True).stdout)
    plan = place(container_specs(config, settings.project, only), placement)
    clients = engines(nodes, set(plan))
    manager = clients[LOCAL]
    if swarm_state(manager) != "active":
        raise LabError("this machine is in no swarm: run `socketlab swarm init` first")
    create_overlays(manager, overlay_specs(config), settings.project)
    started = []
    for node, specs in plan.items():
        for spec in specs:
            try:
                started.append(start_container(clients[node], spec))
            except docker.errors.APIError as exc:
                raise LabError(f"{spec.service} on {node}: {explain_docker_error(exc, settings.project)}") from None
    late = wait_healthy(started)
    if late:
        raise LabError(f"not healthy in time: {', '.join(late)} (docker logs NAME says why)")
    return plan


def down_swarm(settings: LabSettings, nodes: dict[str, str]) -> list[str]:
    """Remove this lab's containers on every machine it can reach, then its overlays; what was removed."""
    removed = []
    label = {"label": [f"com.docker.compose.project={settings.project}"]}
    for node, url in {LOCAL: None, **nodes}.items():
        try:
            client = docker.from_env() if url is None else docker.DockerClient(
                base_url=url, use_ssh_client=url.startswith("ssh://"))
            for container in client.containers.list(all=True, filters=label):
                container.remove(force=True, v=True)
                removed.append(f"{node}: {container.name}")
        except docker.errors.DockerException as exc:
            console.print(f"[yellow]{node}: not reached ({explain_docker_error(exc)}); remove its containers there")
    client = docker.from_env()
    for net in client.networks.list(filters={"label": [f"com.docker.compose.project={settings.project}",
                                                       f"{SWARM_LABEL}=1"]}):
        net.remove()
        removed.append(f"network {net.name}")
    return removed


# --- commands ---------------------------------------------------------------------------------------

def _docker(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(["docker", *args], capture_output=True, text=True)
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise LabError(f"docker {args[0]} {args[1]}: {why}")
    return done


def cmd_swarm(settings: LabSettings, args: argparse.Namespace) -> int:
    if args.action == "init":
        addr = args.advertise_addr or detect_host_address()
        _docker("swarm", "init", "--advertise-addr", addr)
        token = _docker("swarm", "join-token", "-q", "worker").stdout.strip()
        console.print(f"swarm created; this machine ({addr}) is its manager.\n"
                      "note: when it leaves the swarm, Docker (20.10) forgets the DNS names of containers that "
                      "were running before; restart them then (socketlab down; socketlab up).\n"
                      f"next, on every other machine: socketlab swarm join {token} {addr}\n"
                      "then here: socketlab up --swarm", highlight=False, soft_wrap=True)
    elif args.action == "join":
        if not args.token or not args.addr:
            raise UsageError("usage: socketlab swarm join TOKEN MANAGER-ADDRESS (as `socketlab swarm init` printed)")
        _docker("swarm", "join", "--token", args.token, join_address(args.addr))
        console.print("joined the swarm. next: `socketlab build` here (the images), then on the manager: "
                      "socketlab up --swarm; here: socketlab client ... runs a host on the lab's networks",
                      highlight=False, soft_wrap=True)
    else:
        _docker("swarm", "leave", "--force")
        console.print("this machine left the swarm. Containers that ran before `swarm init` may no longer "
                      "resolve names (a Docker bug): restart them, e.g. socketlab down; socketlab up",
                      highlight=False, soft_wrap=True)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("swarm", help="several machines: swarm init | join TOKEN ADDR | leave",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["init", "join", "leave"])
    parser.add_argument("token", nargs="?", help="join: the token `socketlab swarm init` printed")
    parser.add_argument("addr", nargs="?", help="join: the manager's address")
    parser.add_argument("--advertise-addr", help="init: the address other machines reach this one at (detected)")
    parser.set_defaults(func=cmd_swarm)


def add_swarm_options(up: argparse.ArgumentParser, down: argparse.ArgumentParser) -> None:
    """`up --swarm [--place ...] [--services ...]` and `down --swarm` (the options live here, with the mode)."""
    up.add_argument("--swarm", action="store_true", help="on the swarm's overlay networks (socketlab swarm init first)")
    up.add_argument("--place", default="", help="--swarm: SERVICE=MACHINE,... (patterns like echo-*; "
                                                "machines' engines in SOCKETLAB_NODES)")
    up.add_argument("--services", default="", help="--swarm: only these services, comma-separated")
    down.add_argument("--swarm", action="store_true", help="also on every machine in SOCKETLAB_NODES, and the overlays")


def cmd_up_swarm(settings: LabSettings, args: argparse.Namespace) -> int:
    import os

    nodes = parse_pairs(os.environ.get("SOCKETLAB_NODES", ""), "SOCKETLAB_NODES")
    only = [s for s in args.services.split(",") if s] or None
    plan = up_swarm(settings, only, parse_pairs(args.place, "--place"), nodes)
    for node, specs in plan.items():
        for spec in specs:
            ips = ", ".join(f"{net.removeprefix(settings.project + '_')} {ip or 'dynamic'}"
                            for net, ip in spec.networks.items())
            console.print(f"{node:>8}  {spec.service:<14} {ips}", highlight=False)
    console.print("the lab is up on the swarm's overlays; on any machine of the swarm: "
                  "socketlab client echo-client " + ((plan and next(iter(plan.values()))[0].service) or ""),
                  highlight=False, soft_wrap=True)
    return 0


def cmd_down_swarm(settings: LabSettings, _args: argparse.Namespace) -> int:
    import os

    removed = down_swarm(settings, parse_pairs(os.environ.get("SOCKETLAB_NODES", ""), "SOCKETLAB_NODES"))
    console.print(f"removed {len(removed)}: " + ", ".join(removed) if removed else "nothing to remove",
                  highlight=False, soft_wrap=True)
    return 0
