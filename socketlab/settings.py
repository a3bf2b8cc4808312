"""Where the lab lives and how it is named, so several stacks can coexist.

A user's running lab, the integration-test stack and a benchmark stack differ
only in these settings; every one comes from the environment with a default.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ROUTER_HOST = 2
"""The NAT router's host number on both lab networks (.2), as docker-compose.yml places it."""


@dataclass(frozen=True)
class LabSettings:
    project: str = "socketlab"
    net_prefix: str = "10.77"
    port_prefix: str = "18"
    publish_ip: str = "127.0.0.1"
    image_tag: str = "latest"
    public_host: str = ""  # the address other machines dial (class mode); "" = publish_ip, detected for 0.0.0.0

    @classmethod
    def from_env(cls) -> LabSettings:
        env = os.environ
        return cls(
            project=env.get("COMPOSE_PROJECT_NAME", cls.project),
            net_prefix=env.get("SOCKETLAB_NET_PREFIX", cls.net_prefix),
            port_prefix=env.get("SOCKETLAB_PORT_PREFIX", cls.port_prefix),
            publish_ip=env.get("SOCKETLAB_PUBLISH_IP", cls.publish_ip),
            image_tag=env.get("SOCKETLAB_IMAGE_TAG", cls.image_tag),
            public_host=env.get("SOCKETLAB_PUBLIC_HOST", ""),
        )

    @property
    def reachable_host(self) -> str:
        """The address clients outside the lab use: set, published on, or (for 0.0.0.0) detected."""
        if self.public_host:
            return self.public_host
        if self.publish_ip == "0.0.0.0":
            return detect_host_address()
        return self.publish_ip

    def compose_env(self) -> dict[str, str]:
        """The process environment for `docker compose`, with these settings applied."""
        return {
            **os.environ,
            "COMPOSE_PROJECT_NAME": self.project,
            "SOCKETLAB_NET_PREFIX": self.net_prefix,
            "SOCKETLAB_PORT_PREFIX": self.port_prefix,
            "SOCKETLAB_PUBLISH_IP": self.publish_ip,
            "SOCKETLAB_IMAGE_TAG": self.image_tag,
            "SOCKETLAB_PUBLIC_HOST": self.reachable_host,
        }

    def image(self, name: str) -> str:
        """A lab image by short name: ``client`` -> ``socketlab/client:latest``.

        The tag lets two checkouts build and test side by side without
        overwriting each other's images.
        """
        return f"socketlab/{name}:{self.image_tag}"

    @property
    def client_image(self) -> str:
        return self.image("client")

    def network(self, name: str) -> str:
        """Docker's name for one of the compose file's networks."""
        return f"{self.project}_{name}"

    def subnet_ip(self, network: str, host: int) -> str:
        """The address of host number `host` on the lab network `network`."""
        third = {"public": 1, "private": 2}[network]
        return f"{self.net_prefix}.{third}.{host}"

    def nat_route(self) -> str:
        """The route a private host needs to reach the public network through the NAT router.

        The router holds host number ROUTER_HOST on both networks (docker-compose.yml).
        """
        return f"{self.subnet_ip('public', 0)}/24 via {self.subnet_ip('private', ROUTER_HOST)}"

    def host_env(self, network: str) -> dict[str, str]:
        """Environment of a client host on `network`: the client image's entrypoint reads it."""
        return {"SOCKETLAB_NAT_ROUTE": self.nat_route()} if network == "private" else {}

    def host_port(self, suffix: int) -> int:
        """A published port: prefix 18 and suffix 813 give 18813."""
        return int(f"{self.port_prefix}{suffix:03d}")


def detect_host_address() -> str:
    """This machine's address on its default route: what other machines of a classroom dial.

    A UDP `connect` only picks the route and the source address; no packet is sent.
    Without a default route, loopback is all there is.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed like any outside address, never used
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
