"""One running lab: its services, their containers and addresses, and its client hosts.

The CLI, the benchmarks, the lessons and the tests all find a service, its
IP or a free client address here, so the compose labels and network names
are read in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import docker
import docker.errors

from .errors import LAB_NOT_UP, LabError, UsageError, explain_docker_error
from .hosts import ClientHost, start_client_host
from .settings import LabSettings

NETWORKS = ("public", "private")


@dataclass
class Lab:
    """A compose project of the lab, seen through the docker SDK (connected on first use)."""

    settings: LabSettings
    client: docker.DockerClient | None = None
    _hosts: list[ClientHost] = field(default_factory=list, init=False, repr=False)

    @property
    def docker(self) -> docker.DockerClient:
        if self.client is None:
            try:
                self.client = docker.from_env()
                self.client.ping()
            except docker.errors.DockerException as exc:
                raise LabError(explain_docker_error(exc, self.settings.project)) from None
        return self.client

    # --- services -------------------------------------------------------------------------

    def _project_filter(self, *labels: str) -> dict[str, list[str]]:
        return {"label": [f"com.docker.compose.project={self.settings.project}", *labels]}

    def services(self) -> list[str]:
        """Names of the compose services running in this lab, sorted."""
        containers = self.docker.containers.list(filters=self._project_filter("com.docker.compose.service"))
        return sorted({c.labels["com.docker.compose.service"] for c in containers
                       if c.labels.get("com.docker.compose.oneoff") != "True"})

    def service_container(self, service: str):
        """The running container of compose service `service`.

        Raises LabError naming the fix: the lab is down, or the name is not one
        of the running services (which are listed).
        """
        found = self.docker.containers.list(filters=self._project_filter(f"com.docker.compose.service={service}"))
        if found:
            return found[0]
        running = self.services()
        if not running:
            raise LabError(LAB_NOT_UP.format(project=self.settings.project))
        raise UsageError(f"no service {service!r} is running; the services are: {', '.join(running)}")

    def has_service(self, service: str) -> bool:
        return bool(self.docker.containers.list(
            filters=self._project_filter(f"com.docker.compose.service={service}")))

    def service_ip(self, service: str, network: str = "public") -> str:
        """The service's IPv4 address on a lab network ("" if it is not attached to it)."""
        return container_ip(self.settings, self.service_container(service), network)

    # --- networks and addresses --------------------------------------------------------------

    def require_network(self, network: str) -> None:
        """Raise LabError with the fix if the lab's `network` does not exist (the lab is down)."""
        if network not in NETWORKS:
            raise UsageError(f"unknown network {network!r}; choose one of: {', '.join(NETWORKS)}")
        try:
            self.docker.networks.get(self.settings.network(network))
        except docker.errors.NotFound:
            # On a swarm worker the lab's overlay shows up only once a container here uses it.
            if self.docker.info().get("Swarm", {}).get("LocalNodeState") == "active":
                return
            raise LabError(LAB_NOT_UP.format(project=self.settings.project)) from None

    def holder_of(self, network: str, ip: str) -> str | None:
        """The name of the container that holds `ip` on the lab's `network`, if any."""
        try:
            net = self.docker.networks.get(self.settings.network(network))
        except docker.errors.NotFound:
            return None
        for container_id, endpoint in (net.attrs.get("Containers") or {}).items():
            if endpoint.get("IPv4Address", "").split("/")[0] == ip:
                name = endpoint.get("Name") or container_id[:12]
                return name
        return None

    def check_host_address(self, network: str, ip: str | None) -> int | None:
        """Validate a requested client address; return its host number (None: let Docker choose).

        A malformed address, one outside the network, or one already taken
        becomes a UsageError that says what is valid (and who holds it).
        """
        self.require_network(network)
        if ip is None:
            return None
        prefix = self.settings.subnet_ip(network, 0).rsplit(".", 1)[0]
        head, _, last = ip.rpartition(".")
        if head != prefix or not last.isdigit() or not 2 <= int(last) <= 254:
            raise UsageError(f"--ip {ip!r} is not an address of the {network} network; "
                             f"use {prefix}.2 to {prefix}.254 (e.g. {prefix}.60)")
        holder = self.holder_of(network, ip)
        if holder:
            raise UsageError(f"{ip} is already taken on the {network} network (by {holder}); choose another --ip")
        return int(last)

    # --- client hosts --------------------------------------------------------------------------

    def client_host(self, network: str = "public", host_number: int | None = None,
                    labels: dict[str, str] | None = None, **run_kwargs) -> ClientHost:
        """Start a client host on `network` (at .host_number if given); stopped by stop_hosts()."""
        try:
            host = start_client_host(self.docker, self.settings, network, host_number, labels=labels, **run_kwargs)
        except docker.errors.APIError as exc:
            raise LabError(explain_docker_error(exc, self.settings.project)) from None
        self._hosts.append(host)
        return host

    def stop_hosts(self) -> None:
        while self._hosts:
            self._hosts.pop().stop()


def container_ip(settings: LabSettings, container, network: str) -> str:
    """A container's IPv4 address on one of the lab's networks ("" if not attached)."""
    nets = container.attrs["NetworkSettings"]["Networks"]
    return (nets.get(settings.network(network)) or {}).get("IPAddress", "")
