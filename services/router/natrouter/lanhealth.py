"""Healthy once the host rule is in place (or Docker keeps no firewall to add it to)."""

from __future__ import annotations

import os
import subprocess
import sys

from socketlab_common.interfaces import ipv4_interfaces

from .lanrule import CHAIN, docker_backend, rule_args


def main() -> int:
    tool = docker_backend()
    if tool is None:
        return 0
    bridge = next((i.name for i in ipv4_interfaces() if i.address == os.environ["LAN_GATEWAY"]), "")
    return subprocess.run([tool, "-C", CHAIN, *rule_args(bridge, os.environ["LAN_SUBNET"])],
                          capture_output=True).returncode


if __name__ == "__main__":
    sys.exit(main())
