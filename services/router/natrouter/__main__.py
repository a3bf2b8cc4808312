"""Start the router: check forwarding, install the NAT rules, then wait for SIGTERM.

The rules live in the container's own network namespace, so they vanish with
it; nothing is undone on stop.
"""

from __future__ import annotations

import subprocess
import sys

from socketlab_common.lifecycle import StopSignal
from socketlab_common.log import setup_logging

from .plan import forwarding_enabled, plan_from_env


def main() -> int:
    log = setup_logging("router")
    stop = StopSignal()
    stop.install_signal_handlers()
    if not forwarding_enabled():
        log.error("net.ipv4.ip_forward is 0: start the router with sysctl net.ipv4.ip_forward=1")
        return 1
    try:
        plan = plan_from_env()
    except (KeyError, ValueError) as exc:
        log.error("cannot find my interfaces: %s", exc)
        return 1
    done = subprocess.run(["iptables-restore"], input=plan.restore_input(), text=True, capture_output=True)
    if done.returncode != 0:
        log.error("iptables-restore failed (is NET_ADMIN granted?): %s", done.stderr.strip())
        return 1
    log.info("%s", plan.describe())
    stop.wait()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
