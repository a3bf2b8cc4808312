"""Session-wide lab for the integration tests (see lab.py).

Under CI=true a missing Docker engine fails the run: integration tests must
run there, never skip silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import docker
import pytest
from testcontainers.compose import DockerCompose

from socketlab.hosts import ClientHost
from socketlab.images import EVERY_PROFILE, build_images
from socketlab.settings import REPO_ROOT, LabSettings

from .lab import ComposeLab
from .web_models import web_on_models

TEST_SETTINGS = LabSettings(
    project=os.environ.get("SOCKETLAB_TEST_PROJECT", "socketlab-test"),
    net_prefix=os.environ.get("SOCKETLAB_TEST_NET_PREFIX", "10.78"),
    port_prefix=os.environ.get("SOCKETLAB_TEST_PORT_PREFIX", "28"),
    publish_ip="127.0.0.1",
    image_tag=os.environ.get("SOCKETLAB_IMAGE_TAG", "latest"),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no Docker engine answers: {exc}")
        pytest.skip(f"no Docker engine: {exc}")
    return client


@pytest.fixture(scope="session")
def lab(docker_client: docker.DockerClient) -> Iterator[ComposeLab]:
    os.environ.update({k: v for k, v in TEST_SETTINGS.compose_env().items()
                       if k.startswith(("COMPOSE_", "SOCKETLAB_"))})
    os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"
    build_images(TEST_SETTINGS, quiet=True, profiles=EVERY_PROFILE)
    # SOCKETLAB_TEST_SERVICES=a,b brings up only those services (for working on one); CI brings all.
    only = [name for name in os.environ.get("SOCKETLAB_TEST_SERVICES", "").split(",") if name] or None
    compose = DockerCompose(REPO_ROOT, compose_file_name="docker-compose.yml", wait=True, build=False,
                            services=only)
    compose.stop()  # a stack left over from an interrupted run would hold the subnets
    compose.start()
    the_lab = ComposeLab(TEST_SETTINGS, docker_client, compose=compose)
    try:
        yield the_lab
    finally:
        the_lab.stop_hosts()
        compose.stop()


@pytest.fixture(scope="session")
def alice_host(lab: ComposeLab) -> ClientHost:
    """A long-lived client host at .50 on the public network."""
    return lab.client_host(host_number=50)


@pytest.fixture(scope="session")
def bob_host(lab: ComposeLab) -> ClientHost:
    """A second client host at .51 on the public network."""
    return lab.client_host(host_number=51)


@pytest.fixture(scope="session")
def web_models(lab: ComposeLab, alice_host: ClientHost) -> Iterator[dict[str, tuple[str, object]]]:
    """The web image on poll, epoll and thread, started once for every web suite: model -> (ip, container)."""
    with web_on_models(lab, alice_host) as servers:
        yield servers
