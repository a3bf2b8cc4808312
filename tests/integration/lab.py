"""The integration-test view of a running lab: the stack and its client hosts.

The stack comes up with testcontainers' DockerCompose (reaper disabled: the
engine here cannot pull it), under its own project name, subnets and host
ports so it never collides with a user's running lab. Client hosts come
from `socketlab.hosts`, the same code the CLI and the benchmarks use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import docker
from testcontainers.compose import DockerCompose

from socketlab.hosts import ClientHost, start_client_host
from socketlab.settings import LabSettings


@dataclass
class Lab:
    settings: LabSettings
    compose: DockerCompose
    docker: docker.DockerClient
    _hosts: list[ClientHost] = field(default_factory=list)

    def client_host(self, host_number: int | None = None, network: str = "public") -> ClientHost:
        """Start a client host at <prefix>.<net>.<host_number> (below 128), or an assigned IP."""
        host = start_client_host(self.docker, self.settings, network, host_number,
                                 labels={"socketlab.system": "test client host"})
        self._hosts.append(host)
        return host

    def service_container(self, service: str):
        """The docker SDK container object of a compose service."""
        return self.docker.containers.get(self.compose.get_container(service).ID)

    def service_ip(self, service: str, network: str = "public") -> str:
        attrs = self.service_container(service).attrs
        return attrs["NetworkSettings"]["Networks"][self.settings.network(network)]["IPAddress"]

    def stop_hosts(self) -> None:
        while self._hosts:
            self._hosts.pop().stop()
