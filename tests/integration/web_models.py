"""The web image on other concurrency models, started by hand next to the compose service (select)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import docker

from socketlab.hosts import ClientHost

from .lab import ComposeLab


@contextmanager
def web_on_model(lab: ComposeLab, host: ClientHost, model: str, number: int) -> Iterator[tuple[str, object]]:
    """The compose web image with WEB_MODEL=`model` at .`number`; yields (ip, container) once it serves."""
    image = lab.service_container("web").image.id  # by id: a rebuild elsewhere may have moved the tag
    net = lab.settings.network("public")
    ip = lab.settings.subnet_ip("public", number)
    container = lab.docker.containers.run(
        image, detach=True, read_only=True, cap_drop=["ALL"], init=True, environment={"WEB_MODEL": model},
        network=net, labels={"com.docker.compose.project": lab.settings.project},
        networking_config={net: docker.types.EndpointConfig(lab.docker.api.api_version, ipv4_address=ip)})
    try:
        deadline = time.monotonic() + 60  # a wait on a condition: generous for a loaded CI machine
        while (answer := host.sh(f"curl -sS --max-time 3 -o /dev/null http://{ip}:8000/")).exit_code != 0:
            if time.monotonic() > deadline:
                container.reload()
                logs = container.logs(tail=20).decode(errors="replace")
                raise AssertionError(f"{model} server at {ip} did not come up: {container.status}; "
                                     f"curl from {host.ip}: {answer.output.strip()}\n{logs}")
            time.sleep(0.2)
        yield ip, container
    finally:
        container.remove(force=True)


MODEL_SERVERS = {"poll": 81, "epoll": 82, "thread": 83}
"""The models the web suites check besides compose's select, and their host numbers."""


@contextmanager
def web_on_models(lab: ComposeLab, host: ClientHost) -> Iterator[dict[str, tuple[str, object]]]:
    """Every model of MODEL_SERVERS at once: model -> (ip, container)."""
    with web_on_model(lab, host, "poll", MODEL_SERVERS["poll"]) as poll, \
            web_on_model(lab, host, "epoll", MODEL_SERVERS["epoll"]) as epoll, \
            web_on_model(lab, host, "thread", MODEL_SERVERS["thread"]) as thread:
        yield {"poll": poll, "epoll": epoll, "thread": thread}
