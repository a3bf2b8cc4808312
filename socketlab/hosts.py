"""Client hosts: containers of the client image, each a separate machine on a lab network.

Tests, benchmarks and the CLI all start hosts the same way: on a compose
network of the lab, optionally at a fixed address, running `sleep infinity`
so programs can be executed on them with `docker exec`.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker
from docker.types import EndpointConfig

from .settings import LabSettings


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

    container: docker.models.containers.Container
    ip: str
    network: str

    @property
    def id(self) -> str:
        return self.container.id

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
        """Start a long-running program on this host with pipes to its stdin/stdout/stderr."""
        return subprocess.Popen(
            ["docker", "exec", "-i", self.id, *argv],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass


def client_hostname(network: str, host_number: int | None) -> str:
    """A readable host name for prompts and `hostname` (Docker's default is the container id).

    `client-50` for a client host at .50; `client-public-3f9a` when Docker picks the address.
    """
    if host_number is not None:
        return f"client-{host_number}"
    return f"client-{network}-{secrets.token_hex(2)}"


@contextmanager
def interrupt_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (in the main thread).

    Interrupted mid-request, the engine still creates the container after the
    client gave up, too late for any clean-up to see it: a host left behind.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_client_host(
    client: docker.DockerClient,
    settings: LabSettings,
    network: str = "public",
    host_number: int | None = None,
    *,
    image: str | None = None,
    labels: dict[str, str] | None = None,
    **run_kwargs,
) -> ClientHost:
    """Start a client host; `host_number` fixes its address (keep it below 128)."""
    net = settings.network(network)
    ip = settings.subnet_ip(network, host_number) if host_number is not None else None
    run_kwargs.setdefault("hostname", client_hostname(network, host_number))
    run_kwargs["environment"] = {**settings.host_env(network), **(run_kwargs.get("environment") or {})}
    with interrupt_deferred():
        container = client.containers.run(
            image or settings.client_image,
            ["sleep", "infinity"],
            detach=True,
            init=True,
            network=net,
            networking_config={net: EndpointConfig(client.api.api_version, ipv4_address=ip)} if ip else None,
            cap_add=["NET_ADMIN", "NET_RAW"],
            labels={"com.docker.compose.project": settings.project, "socketlab.model": "client",
                    "socketlab.system": "client host", **(labels or {})},
            **run_kwargs,
        )
    container.reload()
    actual_ip = container.attrs["NetworkSettings"]["Networks"][net]["IPAddress"]
    host = ClientHost(container, actual_ip, network)
    route = run_kwargs["environment"].get("SOCKETLAB_NAT_ROUTE")
    if route:  # the entrypoint adds it as the host starts: a program run at once must find it there
        host.sh(f"for _ in $(seq 100); do ip route show | grep -q '{route.split()[0]} via' && exit 0; "
                "sleep 0.05; done", timeout=30)
    return host
