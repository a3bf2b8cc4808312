"""The lab on a single-node swarm made by this module and left again at its end.

`socketlab swarm init` makes this engine a swarm manager; `socketlab up --swarm`
brings two echo services up on attachable overlay networks with the compose
file's subnets and static IPs; a client host started the usual way on that
overlay talks to both; `socketlab down --swarm` and `socketlab swarm leave`
undo everything, which the last test checks (no swarm, network or container
left). Own project, subnets and ports: nothing collides with the session lab.

Leaving a swarm makes this engine (Docker 20.10) forget the DNS names of every
container that ran before the swarm was made; their networks resolve nothing
until the containers are restarted or reconnected. So the module runs first
(its file name sorts first, before the session lab exists) and is skipped
when other containers are running on user networks of this engine (another
lab, someone's work), as it is when the engine already is in a swarm.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import docker
import pytest

from socketlab.images import build_images
from socketlab.lab import Lab
from socketlab.settings import LabSettings

from .capturing import CLI
from .conftest import TEST_SETTINGS

SERVICES = ("echo-epoll", "echo-select")
first, second = TEST_SETTINGS.net_prefix.split(".")
SWARM_SETTINGS = LabSettings(
    project=f"{TEST_SETTINGS.project}-swarm",
    net_prefix=os.environ.get("SOCKETLAB_TEST_SWARM_NET_PREFIX", f"{first}.{int(second) + 100}"),
    port_prefix=os.environ.get("SOCKETLAB_TEST_SWARM_PORT_PREFIX", str(int(TEST_SETTINGS.port_prefix) + 10)),
    image_tag=TEST_SETTINGS.image_tag,
)


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**SWARM_SETTINGS.compose_env(), "COLUMNS": "200"})


def swarm_state(client: docker.DockerClient) -> str:
    return client.info()["Swarm"]["LocalNodeState"]


def others_on_user_networks(client: docker.DockerClient) -> list[str]:
    """Running containers on networks other than Docker's own (bridge, host, none)."""
    return [c.name for c in client.containers.list()
            if set(c.attrs["NetworkSettings"]["Networks"]) - {"bridge", "host", "none"}]


@pytest.fixture(scope="module")
def swarm(docker_client: docker.DockerClient) -> Iterator[dict]:
    if swarm_state(docker_client) != "inactive":
        pytest.skip("this engine is already in a swarm: not ours to change")
    others = others_on_user_networks(docker_client)
    if others:
        pytest.skip(f"containers of others run here ({', '.join(others[:3])}...): leaving a swarm would make "
                    "Docker forget their DNS names")
    build_images(SWARM_SETTINGS, quiet=True)
    had_gwbridge = bool(docker_client.networks.list(names=["docker_gwbridge"]))
    facts: dict = {}
    try:
        init = cli("swarm", "init", "--advertise-addr", "127.0.0.1")
        facts["init"] = init
        assert init.returncode == 0, init.stdout + init.stderr
        up = cli("up", "--swarm", "--services", ",".join(SERVICES))
        facts["up"] = up
        yield facts
    finally:
        facts["down"] = cli("down", "--swarm")
        facts["leave"] = cli("swarm", "leave")
        if not had_gwbridge:  # swarm init made it; leaving does not remove it
            for net in docker_client.networks.list(names=["docker_gwbridge"]):
                net.remove()
        facts["left"] = True


def test_init_prints_the_join_command_and_join_refuses_a_second_swarm(swarm: dict) -> None:
    out = swarm["init"].stdout
    assert "next, on every other machine: socketlab swarm join SWMTKN-" in out and "127.0.0.1" in out
    assert "then here: socketlab up --swarm" in out
    token = out.split("socketlab swarm join ")[1].split()[0]
    again = cli("swarm", "join", token, "127.0.0.1")
    assert again.returncode == 1 and "already part of a swarm" in again.stdout
    assert "Traceback" not in again.stdout + again.stderr


def test_up_puts_the_services_on_attachable_overlays_with_static_ips(swarm: dict,
                                                                    docker_client: docker.DockerClient) -> None:
    up = swarm["up"]
    assert up.returncode == 0, up.stdout + up.stderr
    lab = Lab(SWARM_SETTINGS, docker_client)
    for name, internal in (("public", False), ("private", True)):
        attrs = docker_client.networks.get(SWARM_SETTINGS.network(name)).attrs
        assert (attrs["Driver"], attrs["Scope"], attrs["Attachable"]) == ("overlay", "swarm", True)
        assert attrs["Internal"] is internal
        assert attrs["IPAM"]["Config"][0]["Subnet"] == SWARM_SETTINGS.subnet_ip(name, 0) + "/24"
    assert lab.service_ip("echo-epoll") == SWARM_SETTINGS.subnet_ip("public", 15)
    assert lab.service_ip("echo-select") == SWARM_SETTINGS.subnet_ip("public", 13)
    assert f"echo-epoll     public {SWARM_SETTINGS.subnet_ip('public', 15)}" in up.stdout
    # The loopback binding of the compose file is kept (stack deploy would have made it 0.0.0.0).
    ports = lab.service_container("echo-epoll").attrs["HostConfig"]["PortBindings"]["8888/tcp"]
    assert ports == [{"HostIp": "127.0.0.1", "HostPort": str(SWARM_SETTINGS.host_port(815))}]


def test_a_client_host_on_the_overlay_reaches_both_services(swarm: dict, docker_client: docker.DockerClient) -> None:
    lab = Lab(SWARM_SETTINGS, docker_client)
    host = lab.client_host("public", 60)
    try:
        assert host.ip == SWARM_SETTINGS.subnet_ip("public", 60)
        for service in SERVICES:
            talk = host.sh(f"printf 'over the overlay\\n' | nc -N -w 5 {lab.service_ip(service)} 8888")
            assert talk.stdout == "over the overlay\n", (service, talk.output)
        logs = lab.service_container("echo-epoll").logs().decode()
        assert f"connect from {host.ip}:" in logs
    finally:
        lab.stop_hosts()


def test_zz_down_and_leave_leave_nothing_behind(swarm: dict, docker_client: docker.DockerClient,
                                               request: pytest.FixtureRequest) -> None:
    """Runs last in the module: tear down now (the fixture's finally then finds nothing) and check."""
    down = cli("down", "--swarm")
    assert down.returncode == 0 and "network " in down.stdout, down.stdout + down.stderr
    leave = cli("swarm", "leave")
    assert leave.returncode == 0, leave.stdout + leave.stderr
    assert swarm_state(docker_client) == "inactive"
    project = {"label": f"com.docker.compose.project={SWARM_SETTINGS.project}"}
    assert docker_client.containers.list(all=True, filters=project) == []
    assert docker_client.networks.list(filters=project) == []
    assert not docker_client.networks.list(names=["ingress"])
