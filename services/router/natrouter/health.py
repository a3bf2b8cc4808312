"""Healthy means: forwarding is on and the MASQUERADE rule is in place."""

from __future__ import annotations

import subprocess
import sys

from .plan import forwarding_enabled, plan_from_env


def main() -> int:
    if not forwarding_enabled():
        print("ip_forward is off")
        return 1
    check = subprocess.run(["iptables", *plan_from_env().masquerade_check()], capture_output=True, text=True)
    if check.returncode != 0:
        print("no MASQUERADE rule yet")
    return check.returncode


if __name__ == "__main__":
    sys.exit(main())
