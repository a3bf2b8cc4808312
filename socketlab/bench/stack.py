"""The benchmark's own stack, and pinning servers and load to separate cores.

`socketlab bench` never measures the user's lab: it brings up its own compose
project (default `socketlab-bench`, subnets 10.79.x, host ports 29NNN; set
SOCKETLAB_BENCH_PROJECT / _NET_PREFIX / _PORT_PREFIX to move it), with the
`bench` profile's peer baselines, and takes it down afterwards.

Pinning: on a 2-core machine the server under test gets core 0 and the load
generators get core 1 (`cpuset`), so a server cannot borrow the load's CPU
and the other way round; requests/s is then "what one core of this server
model does". It is applied with `container.update(cpuset_cpus=...)` on the
running compose containers (nothing in docker-compose.yml changes) and with
`cpuset_cpus` on the load hosts. `--no-pin` turns it off (all cores shared).

Priority: this machine is shared, and a server that waits for the CPU behind
other people's work measures the queue, not the model. The benchmark's
containers get a CPU weight of BENCH_CPU_SHARES (Docker's default is 1024),
so they win the CPU when they need it and cost nothing when idle;
`--no-priority` keeps the default weight.
"""

from __future__ import annotations

import json
import os
import tempfile

import docker

from ..compose import run_compose
from ..settings import LabSettings

LOAD_HOST_LABEL = "benchmark load host"
BENCH_CPU_SHARES = 8192


def bench_settings() -> LabSettings:
    env = os.environ
    return LabSettings(
        project=env.get("SOCKETLAB_BENCH_PROJECT", "socketlab-bench"),
        net_prefix=env.get("SOCKETLAB_BENCH_NET_PREFIX", "10.79"),
        port_prefix=env.get("SOCKETLAB_BENCH_PORT_PREFIX", "29"),
        publish_ip="127.0.0.1",
        image_tag=os.environ.get("SOCKETLAB_IMAGE_TAG", "latest"),
    )


def cpu_split(pin: bool, cores: int | None = None) -> tuple[str | None, str | None]:
    """(server cpuset, load cpuset): core 0 for the server, the rest for the load; None when unpinned."""
    cores = cores or os.cpu_count() or 1
    if not pin or cores < 2:
        return None, None
    return "0", ("1" if cores == 2 else f"1-{cores - 1}")


BENCH_HEALTH_INTERVAL = "10s"
"""Health probes of the benchmark stack: each is a `docker exec` of python3 (~30 ms of CPU). At the lab's 2 s
interval, a 15-container stack spends a good part of a core on probes during the measurements; 10 s keeps the
stack watched and costs a few seconds at start-up instead."""


BENCH_ENVIRONMENT = {"chat": {"CHAT_RATE": "0", "CHAT_MAX_PER_HOST": "0"}}
"""The chat benchmark measures the relay itself: its load clients send faster than a member may, from one host."""


def health_override(settings: LabSettings) -> dict:
    """A compose override: every healthcheck at BENCH_HEALTH_INTERVAL, and BENCH_ENVIRONMENT."""
    config = json.loads(run_compose(settings, "--profile", "*", "config", "--format", "json", capture=True).stdout)
    services: dict[str, dict] = {name: {"healthcheck": {"interval": BENCH_HEALTH_INTERVAL}}
                                 for name, service in config["services"].items() if service.get("healthcheck")}
    for name, environment in BENCH_ENVIRONMENT.items():
        if name in services:
            services[name]["environment"] = environment
    return {"services": services}


def up(settings: LabSettings, services: list[str] | None = None, quiet: bool = False) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="socketlab-bench-") as override:
        json.dump(health_override(settings), override)
        override.flush()
        # compose_command already names docker-compose.yml; a second -f is merged over it.
        run_compose(settings, "-f", override.name, "--profile", "bench", "up", "-d",
                    "--wait", "--no-build", "--remove-orphans", *(services or []), capture=quiet)


def down(settings: LabSettings, quiet: bool = False) -> None:
    run_compose(settings, "--profile", "*", "down", "--remove-orphans", "--volumes", capture=quiet)


def pin_servers(client: docker.DockerClient, settings: LabSettings, cpuset: str | None,
                cpu_shares: int | None = None) -> list[str]:
    """Restrict every server container of the stack to `cpuset` (None: all cores) with CPU weight
    `cpu_shares` (None: Docker's default). Returns their names."""
    cores = os.cpu_count() or 1
    value = cpuset or f"0-{cores - 1}"
    pinned = []
    for container in client.containers.list(filters={"label": f"com.docker.compose.project={settings.project}"}):
        if container.labels.get("socketlab.system") == LOAD_HOST_LABEL:
            continue
        container.update(cpuset_cpus=value, cpu_shares=cpu_shares or 1024)
        pinned.append(container.name)
    return pinned


def remove_load_hosts(client: docker.DockerClient, settings: LabSettings) -> None:
    """Load hosts left by an interrupted run would keep the networks busy."""
    for container in client.containers.list(all=True, filters={"label": [
            f"com.docker.compose.project={settings.project}", f"socketlab.system={LOAD_HOST_LABEL}"]}):
        container.remove(force=True)
