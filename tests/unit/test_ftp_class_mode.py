"""Which address PASV advertises: the one each client can reach (own network, host port, another machine)."""

from __future__ import annotations

import ipaddress

from ftpserver.config import FtpConfig
from ftpserver.server import FtpServer
from socketlab_common.interfaces import Interface
from socketlab_common.lifecycle import StopSignal


def _server(tmp_path, host: str = "192.0.2.7") -> FtpServer:
    server = FtpServer(FtpConfig(root=str(tmp_path), pasv_address_host=host), StopSignal())
    server.gateway = "10.77.1.1"
    server.interfaces = [Interface("lo", ipaddress.IPv4Interface("127.0.0.1/8")),
                         Interface("eth0", ipaddress.IPv4Interface("10.77.1.21/24"))]
    return server


def test_a_lab_host_gets_the_address_it_dialled(tmp_path) -> None:
    assert _server(tmp_path).advertised_ip("10.77.1.21", "10.77.1.50") == "10.77.1.21"
    assert _server(tmp_path).advertised_ip("10.77.1.21", "10.77.1.2") == "10.77.1.21"   # a private host via NAT
    assert _server(tmp_path).advertised_ip("127.0.0.1", "127.0.0.1") == "127.0.0.1"


def test_the_host_and_other_machines_get_the_published_address(tmp_path) -> None:
    assert _server(tmp_path).advertised_ip("10.77.1.21", "10.77.1.1") == "192.0.2.7"      # docker-proxy
    assert _server(tmp_path).advertised_ip("10.77.1.21", "192.168.3.41") == "192.0.2.7"   # a student's laptop


def test_without_a_published_address_everyone_gets_the_dialled_one(tmp_path) -> None:
    assert _server(tmp_path, host="").advertised_ip("10.77.1.21", "192.168.3.41") == "10.77.1.21"
