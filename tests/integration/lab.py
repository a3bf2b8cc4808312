"""The integration-test view of a running lab: the stack and its client hosts.

The stack comes up with testcontainers' DockerCompose (reaper disabled: the
engine here cannot pull it), under its own project name, subnets and host
ports so it never collides with a user's running lab. Everything else
(services, addresses, client hosts) is `socketlab.lab.Lab`, the same code
the CLI and the benchmarks use.
"""

from __future__ import annotations

from dataclasses import dataclass

from testcontainers.compose import DockerCompose

from socketlab.lab import Lab


@dataclass
class ComposeLab(Lab):
    compose: DockerCompose | None = None
