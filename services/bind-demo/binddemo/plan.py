"""Which addresses the demo binds, decided from the host's interfaces (pure).

The notes' three binds, each on its own port so all three live in one
container at once (binding 0.0.0.0:P would collide with 127.0.0.1:P):

* ``127.0.0.1`` — "客户端只能与服务端在同一主机上": only this host can reach it;
* the public-network IP — reachable only through that one address;
* ``0.0.0.0`` — reachable on every address the host has (public and private).

The public IP is found at run time, never written into configuration: it is
the interface whose address lies in the public subnet (``BIND_PUBLIC_SUBNET``),
or, if that is not given, the interface that carries the default route (an
``internal: true`` network has none).
"""

from __future__ import annotations

from dataclasses import dataclass

from socketlab_common.interfaces import Interface, in_subnet

DEFAULT_PORTS = (9001, 9002, 9003)


@dataclass(frozen=True)
class Bind:
    """One listener: what the notes call it, and the (host, port) passed to bind()."""

    kind: str  # "loopback" | "public-ip" | "any"
    host: str
    port: int

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


def plan_binds(public_ip: str, ports: tuple[int, int, int] = DEFAULT_PORTS) -> list[Bind]:
    """The three binds, given the host's public-network address."""
    loopback, public, anywhere = ports
    return [Bind("loopback", "127.0.0.1", loopback), Bind("public-ip", public_ip, public),
            Bind("any", "0.0.0.0", anywhere)]


def default_route_interface(proc_net_route: str) -> str:
    """The interface name of the IPv4 default route, from the text of /proc/net/route."""
    for line in proc_net_route.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[1] == "00000000" and fields[7] == "00000000":
            return fields[0]
    raise ValueError("no default route (an internal network only?)")


def find_public(interfaces: list[Interface], subnet: str | None, proc_net_route: str = "") -> Interface:
    """The public interface: by subnet if given, else the one with the default route."""
    if subnet:
        return in_subnet(interfaces, subnet)
    name = default_route_interface(proc_net_route)
    for iface in interfaces:
        if iface.name == name:
            return iface
    raise ValueError(f"default-route interface {name} has no IPv4 address")


def parse_ports(text: str) -> tuple[int, int, int]:
    """``"9001,9002,9003"`` -> (9001, 9002, 9003); exactly three distinct ports."""
    try:
        ports = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise ValueError(f"ports must be three integers like 9001,9002,9003, not {text!r}") from None
    if len(ports) != 3 or len(set(ports)) != 3 or not all(0 < p < 65536 for p in ports):
        raise ValueError(f"need three distinct ports in 1..65535, got {text!r}")
    return ports  # type: ignore[return-value]
