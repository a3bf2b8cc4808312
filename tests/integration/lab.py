"""The integration-test view of a running lab: the stack and its client hosts.

The stack comes up with testcontainers' DockerCompose (reaper disabled: the
engine here cannot pull it), under its own project name, subnets and host
ports so it never collides with a user's running lab. Client hosts are
ordinary containers of the client image, each with its own static IP.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

import docker
from docker.types import EndpointConfig
from testcontainers.compose import DockerCompose
from testcontainers.core.container import DockerContainer

from socketlab.settings import LabSettings

CLIENT_IMAGE = "socketlab/client:latest"


@dataclass
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class ClientHost:
    """A client machine on a lab network: run real programs on it."""

    container: DockerContainer
    ip: str
    network: str

    @property
    def id(self) -> str:
        return self.container.get_wrapped_container().id

    def run(self, *argv: str, stdin: bytes | str | None = None, timeout: float = 120) -> ExecResult:
        """Run a program on this host (``docker exec -i``), feeding `stdin` if given."""
        data = stdin.encode() if isinstance(stdin, str) else stdin
        proc = subprocess.run(
            ["docker", "exec", "-i", self.id, *argv],
            input=data if data is not None else b"",
            capture_output=True,
            timeout=timeout,
        )
        return ExecResult(proc.returncode, proc.stdout.decode(errors="replace"),
                          proc.stderr.decode(errors="replace"))

    def sh(self, script: str, timeout: float = 120) -> ExecResult:
        return self.run("sh", "-c", script, timeout=timeout)

    def popen(self, *argv: str) -> subprocess.Popen:
        """Start a long-running program on this host with pipes to its stdin/stdout."""
        return subprocess.Popen(
            ["docker", "exec", "-i", self.id, *argv],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        self.container.stop()


@dataclass
class Lab:
    settings: LabSettings
    compose: DockerCompose
    docker: docker.DockerClient
    _hosts: list[ClientHost] = field(default_factory=list)

    def client_host(self, host_number: int, network: str = "public") -> ClientHost:
        """Start a client host at <prefix>.<net>.<host_number> (keep numbers below 128)."""
        net = self.settings.network(network)
        ip = self.settings.subnet_ip(network, host_number)
        container = (
            DockerContainer(CLIENT_IMAGE)
            .with_command("sleep infinity")
            .with_kwargs(
                network=net,
                networking_config={net: EndpointConfig(self.docker.api.api_version, ipv4_address=ip)},
                init=True,
                cap_add=["NET_ADMIN", "NET_RAW"],
                labels={"socketlab.model": "client", "socketlab.system": "test client host"},
            )
        )
        container.start()
        host = ClientHost(container, ip, network)
        self._hosts.append(host)
        return host

    def service_ip(self, service: str, network: str = "public") -> str:
        container = self.service_container(service)
        return container.attrs["NetworkSettings"]["Networks"][self.settings.network(network)]["IPAddress"]

    def service_container(self, service: str):
        """The docker SDK container object of a compose service."""
        return self.docker.containers.get(self.compose.get_container(service).ID)

    def stop_hosts(self) -> None:
        while self._hosts:
            try:
                self._hosts.pop().stop()
            except Exception:  # noqa: BLE001 - cleanup must go on for the others
                pass
