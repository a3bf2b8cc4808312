"""Interface discovery (stdlib ioctls) and the subnet arithmetic the demos rely on."""

from __future__ import annotations

import ipaddress

import pytest
from socketlab_common.interfaces import Interface, first_non_loopback, in_subnet, ipv4_interfaces


def test_this_machine_has_loopback_with_its_prefix() -> None:
    found = ipv4_interfaces()
    assert any(i.address == "127.0.0.1" and i.interface.network.prefixlen == 8 for i in found)


def test_broadcast_address_sets_every_host_bit() -> None:
    assert Interface("eth0", ipaddress.IPv4Interface("10.77.1.140/24")).broadcast == "10.77.1.255"
    assert Interface("eth0", ipaddress.IPv4Interface("192.168.4.9/22")).broadcast == "192.168.7.255"


def test_picking_interfaces() -> None:
    lo = Interface("lo", ipaddress.IPv4Interface("127.0.0.1/8"))
    eth = Interface("eth0", ipaddress.IPv4Interface("10.77.2.140/24"))
    assert first_non_loopback([lo, eth]) is eth
    assert in_subnet([lo, eth], "10.77.2.0/24") is eth
    assert in_subnet([lo, eth], "10.77.2.7/24") is eth  # host bits in the CIDR are tolerated
    with pytest.raises(ValueError, match=r"have: lo 127\.0\.0\.1/8, eth0 10\.77\.2\.140/24"):
        in_subnet([lo, eth], "10.77.1.0/24")
    with pytest.raises(ValueError):
        first_non_loopback([lo])
