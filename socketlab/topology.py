"""What is running: every lab container with its model, addresses, ports and health."""

from __future__ import annotations

from dataclasses import dataclass

import docker
from rich.table import Table

from .settings import LabSettings


@dataclass(frozen=True)
class HostRow:
    service: str
    system: str
    model: str
    addresses: dict[str, str]  # network name (without project prefix) -> IPv4
    ports: list[str]
    state: str


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
    )


def _sort_key(addresses: dict[str, str]) -> tuple[int, ...]:
    first = next(iter(sorted(addresses.values())), "")
    try:
        return tuple(int(part) for part in first.split("."))
    except ValueError:
        return (999,)


def hosts_table(rows: list[HostRow], title: str) -> Table:
    table = Table(title=title)
    for column in ("service", "system", "model", "networks / IPs", "ports", "state"):
        table.add_column(column)
    for row in rows:
        nets = "\n".join(f"{net}: {ip}" for net, ip in sorted(row.addresses.items()))
        style = "green" if "healthy" in row.state and "unhealthy" not in row.state else "yellow"
        table.add_row(row.service, row.system, row.model, nets, "\n".join(row.ports), row.state, style=style)
    return table
