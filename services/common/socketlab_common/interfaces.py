"""This host's IPv4 interfaces, read from the kernel with stdlib only.

The notes find a machine's address with `ifconfig` (1.1.3). Programs that must
bind to "my address on network X" (the bind demo) or send to "my subnet's
broadcast address" (the broadcast demo) need the same facts at run time, and
the service images carry no iproute2. `SIOCGIFADDR`/`SIOCGIFNETMASK` ioctls
need no privilege, so this works in a container with every capability dropped.

Only the primary IPv4 address of each interface is seen (ioctl's view), which
is all a container on compose networks has.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B


@dataclass(frozen=True)
class Interface:
    """One interface's IPv4 address with its prefix, e.g. eth0 10.77.1.30/24."""

    name: str
    interface: ipaddress.IPv4Interface

    @property
    def address(self) -> str:
        return str(self.interface.ip)

    @property
    def broadcast(self) -> str:
        """The subnet's directed broadcast address (all host bits set)."""
        return str(self.interface.network.broadcast_address)

    def __str__(self) -> str:
        return f"{self.name} {self.interface}"


def _ioctl_ipv4(sock: socket.socket, request: int, name: str) -> str:
    packed = fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
    return socket.inet_ntoa(packed[20:24])  # struct ifreq: 16-byte name, then sockaddr_in


def ipv4_interfaces() -> list[Interface]:
    """Every interface that has an IPv4 address (loopback included), in kernel order."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in socket.if_nameindex():
            try:
                address = _ioctl_ipv4(sock, SIOCGIFADDR, name)
                netmask = _ioctl_ipv4(sock, SIOCGIFNETMASK, name)
            except OSError:  # EADDRNOTAVAIL: the interface has no IPv4 address
                continue
            found.append(Interface(name, ipaddress.IPv4Interface(f"{address}/{netmask}")))
    return found


def in_subnet(interfaces: Iterable[Interface], subnet: str) -> Interface:
    """The interface whose address lies in `subnet` (CIDR); ValueError if none does."""
    network = ipaddress.IPv4Network(subnet, strict=False)
    candidates = list(interfaces)
    for iface in candidates:
        if iface.interface.ip in network:
            return iface
    have = ", ".join(str(i) for i in candidates) or "none"
    raise ValueError(f"no interface has an address in {network} (have: {have})")


def first_non_loopback(interfaces: Iterable[Interface]) -> Interface:
    """The first interface that is not loopback: a client host's one network card."""
    for iface in interfaces:
        if not iface.interface.ip.is_loopback:
            return iface
    raise ValueError("no non-loopback IPv4 interface")
