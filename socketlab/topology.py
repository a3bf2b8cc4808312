"""What is running: every lab container with its model, addresses, ports and health.

The tables read at 80 columns: port runs collapse to one range (the FTP
passive pool is one line, 18100–18227), addresses are never cut, and a
terminal of WIDE columns or more gets the system column and the full
published addresses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import docker
from rich import box
from rich.table import Table

from .errors import LAB_NOT_UP
from .settings import LabSettings


@dataclass(frozen=True)
class HostRow:
    service: str
    system: str
    model: str
    addresses: dict[str, str]  # network name (without project prefix) -> IPv4
    ports: list[str]
    state: str
    listens: list[str] = field(default_factory=list)  # the image's EXPOSEd ports: reachable inside the lab


def lab_hosts(settings: LabSettings, client: docker.DockerClient | None = None) -> list[HostRow]:
    client = client or docker.from_env()
    containers = client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={settings.project}"}
    )
    rows = [_row(settings, c) for c in containers]
    return sorted(rows, key=lambda r: _sort_key(r.addresses))


def _row(settings: LabSettings, container) -> HostRow:
    attrs = container.attrs
    labels = attrs["Config"]["Labels"]
    prefix = f"{settings.project}_"
    addresses = {
        name.removeprefix(prefix): net.get("IPAddress") or "-"
        for name, net in attrs["NetworkSettings"]["Networks"].items()
    }
    ports = []
    for inner, bindings in sorted((attrs["NetworkSettings"].get("Ports") or {}).items()):
        for binding in bindings or []:  # only published ports; EXPOSE alone is no door
            ports.append(f"{binding['HostIp']}:{binding['HostPort']}→{inner}")
    health = attrs["State"].get("Health", {}).get("Status")
    state = attrs["State"]["Status"] + (f" ({health})" if health else "")
    service = labels.get("com.docker.compose.service", container.name)
    if labels.get("com.docker.compose.oneoff") == "True":
        service += " (run)"
    return HostRow(
        service=service,
        system=labels.get("socketlab.system", ""),
        model=labels.get("socketlab.model", ""),
        addresses=addresses,
        ports=ports,
        state=state,
        listens=sorted((attrs["Config"].get("ExposedPorts") or {}), key=_port_key),
    )


def _sort_key(addresses: dict[str, str]) -> tuple[int, ...]:
    first = next(iter(sorted(addresses.values())), "")
    try:
        return tuple(int(part) for part in first.split("."))
    except ValueError:
        return (999,)


WIDE = 140
"""From this many columns on, `ps` adds the system column and the full published addresses."""


def hosts_table(rows: list[HostRow], title: str, width: int = 80) -> Table:
    """The `ps` table for a terminal `width` columns wide (the `make up` summary too)."""
    wide = width >= WIDE
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    hosts = {host for row in rows for host, *_ in _parsed_published(row.ports)}
    table.add_column("service / model", overflow="fold")
    if wide:
        table.add_column("system", overflow="fold")
    table.add_column("IP", no_wrap=True)
    table.add_column("serves", no_wrap=True)
    table.add_column("published" if wide else "host port", no_wrap=True)
    table.add_column("state", no_wrap=True)
    for row in rows:
        ips = "\n".join(ip if net == "public" else f"{ip} {net}" for net, ip in
                        sorted(row.addresses.items(), key=lambda item: item[0] != "public"))
        if wide or len(hosts) > 1:
            published = "\n".join(compact_published(row.ports))
        else:
            published = "\n".join(host_ports(row.ports))
        healthy = "healthy" in row.state and "unhealthy" not in row.state
        cells = [f"[bold]{row.service}[/]\n[dim]{row.model}[/]", *([row.system] if wide else []), ips,
                 compact_ports(serves(row)), published or "-", short_state(row.state)]
        table.add_row(*cells, style="green" if healthy else "yellow")
    if len(hosts) == 1 and not wide:
        table.caption = f"host ports are published on {hosts.pop()}"
    return table


def short_state(state: str) -> str:
    """``running (healthy)`` -> ``healthy``: the health says it is running."""
    status, _, health = state.partition(" (")
    return health.rstrip(")") if health else status


def serves(row: HostRow) -> list[str]:
    """The ports and protocols the service really serves.

    The image's EXPOSE is shared by every service built from it (the echo image
    exposes 8888/tcp and 8888/udp for its TCP and UDP modes); a published port
    says which protocol this service serves on that number, so it wins.
    """
    published = {f"{target}/{proto}" for _host, _pub, target, proto in _parsed_published(row.ports)}
    numbers = {spec.partition("/")[0] for spec in published}
    kept = [spec for spec in row.listens if spec.partition("/")[0] not in numbers]
    return sorted({*kept, *published}, key=_port_key)


def _port_key(spec: str) -> tuple[int, str]:
    number, _, proto = spec.partition("/")
    return (int(number) if number.isdigit() else 0, proto)


def _span(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}–{last}"


def compact_ports(specs: list[str]) -> str:
    """``["9001/tcp", "9001/udp", "9002/tcp", "9002/udp"]`` -> ``"9001–9002/tcp+udp"``: one line per run."""
    by_port: dict[int, list[str]] = {}
    for spec in specs:
        number, _, proto = spec.partition("/")
        if number.isdigit():
            by_port.setdefault(int(number), []).append(proto or "tcp")
    runs: list[tuple[int, int, str]] = []
    for number in sorted(by_port):
        protos = "+".join(sorted(set(by_port[number])))
        if runs and runs[-1][1] + 1 == number and runs[-1][2] == protos:
            runs[-1] = (runs[-1][0], number, protos)
        else:
            runs.append((number, number, protos))
    return "\n".join(f"{_span(first, last)}/{protos}" for first, last, protos in runs)


def host_ports(ports: list[str]) -> list[str]:
    """Published host ports only, runs collapsed: ``18021``, ``18100–18227``, ``18000/udp``."""
    lines = []
    for line in compact_published(ports):
        left, _, right = line.partition("→")
        proto = right.partition("/")[2]
        lines.append(left.rpartition(":")[2] + ("" if proto == "tcp" else f"/{proto}"))
    return lines


Published = tuple[str, int, int, str]  # host address, host port, container port, protocol


def parse_published(spec: str) -> Published | None:
    """``127.0.0.1:18021→21/tcp`` as its four parts; None for any other shape."""
    try:
        left, right = spec.split("→")
        host, _, published = left.rpartition(":")
        target, _, proto = right.partition("/")
        return (host, int(published), int(target), proto)
    except ValueError:
        return None


def _parsed_published(ports: list[str]) -> list[Published]:
    return [parsed for parsed in map(parse_published, ports) if parsed is not None]


def compact_published(ports: list[str]) -> list[str]:
    """Collapse runs like ``h:18100→18100/tcp, h:18101→18101/tcp`` into ``h:18100-18101→18100-18101/tcp``."""
    parsed = _parsed_published(ports)
    if len(parsed) != len(ports):
        return ports  # not the shape we know: show as it is
    runs: list[list[Published]] = []
    for entry in sorted(parsed, key=lambda e: (e[0], e[3], e[1])):
        last = runs[-1][-1] if runs else None
        if last and (last[0], last[3]) == (entry[0], entry[3]) and (last[1] + 1, last[2] + 1) == entry[1:3]:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    out = []
    for run in runs:
        (host, pub, target, proto), end = run[0], run[-1]
        out.append(f"{host}:{_span(pub, end[1])}→{_span(target, end[2])}/{proto}")
    return out


@dataclass(frozen=True)
class NetworkInfo:
    """One lab network as Docker has it: the facts section 1.1.3 is about."""

    name: str  # without the project prefix
    subnet: str
    gateway: str
    internal: bool


def lab_networks(settings: LabSettings, client: docker.DockerClient | None = None) -> list[NetworkInfo]:
    client = client or docker.from_env()
    found = []
    for net in client.networks.list(filters={"label": f"com.docker.compose.project={settings.project}"}):
        attrs = net.attrs
        config = (attrs.get("IPAM", {}).get("Config") or [{}])[0]
        found.append(NetworkInfo(net.name.removeprefix(f"{settings.project}_"), config.get("Subnet", "?"),
                                 config.get("Gateway", "?"), bool(attrs.get("Internal"))))
    return sorted(found, key=lambda n: n.subnet)


def topology_tree(rows: list[HostRow], networks: list[NetworkInfo], title: str):
    """Networks as branches, hosts as leaves; a multi-homed host appears under each of its networks."""
    from rich.tree import Tree

    hosts = sorted({host for row in rows for host, *_ in _parsed_published(row.ports)})
    tree = Tree(f"[bold]{title}" + (f" [dim](host ports on {', '.join(hosts)})" if hosts else ""))
    for net in networks:
        kind = "internal: no route out, unreachable from other networks" if net.internal else "routed via the gateway"
        branch = tree.add(f"[bold cyan]{net.name}[/] {net.subnet} gateway {net.gateway} [dim]({kind})")
        members = [r for r in rows if net.name in r.addresses]
        for row in sorted(members, key=lambda r: _sort_key({net.name: r.addresses[net.name]})):
            others = [f"{n} {ip}" for n, ip in sorted(row.addresses.items()) if n != net.name]
            also = f" [magenta](multi-homed: also {', '.join(others)})[/]" if others else ""
            listens = compact_ports(serves(row)).replace("\n", ", ")
            published = f" host port {', '.join(host_ports(row.ports))}" if row.ports else ""
            branch.add(f"{row.addresses[net.name]:<11} [bold]{row.service}[/] [dim]{row.model}[/]"
                       f"{' serves ' + listens if listens else ''}{published}{also} [dim]{short_state(row.state)}")
    return tree


def mermaid(rows: list[HostRow], networks: list[NetworkInfo]) -> str:
    """A Mermaid flowchart of the running lab, for a README (every host, subnet and IP)."""
    lines = ["flowchart LR"]
    host_ids = {row.service: f"h{i}" for i, row in enumerate(rows)}
    for net in networks:
        label = f"{net.name} {net.subnet}" + (" — internal: true" if net.internal else "")
        lines.append(f'  subgraph {net.name}["{label}"]')
        for row in rows:
            if net.name in row.addresses and len(row.addresses) == 1:
                lines.append(f'    {host_ids[row.service]}["{row.service}<br/>{row.addresses[net.name]}"]')
        lines.append("  end")
    for row in rows:
        if len(row.addresses) > 1:
            ips = "<br/>".join(f"{n} {ip}" for n, ip in sorted(row.addresses.items()))
            lines.append(f'  {host_ids[row.service]}(["{row.service} (multi-homed)<br/>{ips}"])')
            for net in sorted(row.addresses):
                lines.append(f"  {host_ids[row.service]} --- {net}")
    return "\n".join(lines)


def declared_topology(config: dict) -> tuple[list[HostRow], list[NetworkInfo]]:
    """Hosts and networks as the compose file declares them (`docker compose config` JSON), running or not."""
    rows = []
    for name, service in sorted(config["services"].items()):
        nets = service.get("networks") or {}
        addresses = {net: (opts or {}).get("ipv4_address") or "dynamic" for net, opts in nets.items()}
        profiles = service.get("profiles") or []
        ports = [f"{p.get('host_ip', '')}:{p.get('published')}→{p.get('target')}/{p.get('protocol', 'tcp')}"
                 for p in service.get("ports") or []]
        labels = service.get("labels") or {}
        rows.append(HostRow(name, labels.get("socketlab.system", ""), labels.get("socketlab.model", ""), addresses,
                            ports, f"profile {','.join(profiles)}" if profiles else "started by up",
                            sorted(service.get("expose") or [])))
    networks = []
    for name, net in sorted((config.get("networks") or {}).items()):
        ipam = ((net.get("ipam") or {}).get("config") or [{}])[0]
        networks.append(NetworkInfo(name, ipam.get("subnet", "?"), ipam.get("gateway", "?"), bool(net.get("internal"))))
    rows.sort(key=lambda r: _sort_key(r.addresses))
    return rows, networks


def cmd_topology(settings: LabSettings, args) -> int:
    from rich.console import Console

    console = Console()
    if args.declared:
        import json

        from .compose import run_compose

        config = json.loads(run_compose(settings, "--profile", "*", "config", "--format", "json", capture=True).stdout)
        rows, networks = declared_topology(config)
        title = f"socketlab as declared in docker-compose.yml (prefix {settings.net_prefix})"
        if args.mermaid:
            print(mermaid(rows, networks))
        else:
            console.print(topology_tree(rows, networks, title))
        return 0
    rows = lab_hosts(settings)
    if not rows:
        console.print(LAB_NOT_UP.format(project=settings.project))
        return 1
    networks = lab_networks(settings)
    if args.mermaid:
        print(mermaid(rows, networks))
    else:
        console.print(topology_tree(rows, networks, f"socketlab ({settings.project})"))
    return 0


def register(sub) -> None:
    """`socketlab topology`: the same hosts as `ps`, drawn per network (or as Mermaid)."""
    parser = sub.add_parser("topology", help="networks, subnets and every host on them (tree or --mermaid)")
    parser.add_argument("--mermaid", action="store_true", help="print a Mermaid flowchart instead")
    parser.add_argument("--declared", action="store_true",
                        help="draw docker-compose.yml's declared hosts (every service, running or not)")
    parser.set_defaults(func=cmd_topology)
