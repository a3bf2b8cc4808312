"""The one host rule a router on an internal Docker network needs, held while the lab runs.

Docker isolates an `internal: true` bridge network with two host firewall
rules: drop what enters the bridge for an address outside its subnet, and
drop what leaves it from one. With the kernel's bridge netfilter on (Docker
turns it on), those rules also see frames that never leave the bridge — a
private host's packet *to the router next to it* carries a public
destination, so it is dropped before the router can forward it. A real LAN
carries any frame between two of its machines.

This program runs in the host's network namespace (compose: network_mode
host, NET_ADMIN only). It finds the private bridge by its gateway address and
adds to DOCKER-USER (the chain Docker keeps for its users, checked first)::

    -i BRIDGE -o BRIDGE -m comment --comment "socketlab-lan SUBNET" -j ACCEPT

It accepts only frames that enter *and* leave that bridge: the network still
has no way out. On SIGTERM (compose down) the rule is removed; rules of ours
whose bridge is gone (a lab killed hard) are pruned at start.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys

from socketlab_common.interfaces import ipv4_interfaces
from socketlab_common.lifecycle import StopSignal
from socketlab_common.log import setup_logging

CHAIN = "DOCKER-USER"
TAG = "socketlab-lan"


def rule_args(bridge: str, subnet: str) -> list[str]:
    return ["-i", bridge, "-o", bridge, "-m", "comment", "--comment", f"{TAG} {subnet}", "-j", "ACCEPT"]


def docker_backend() -> str | None:
    """The iptables variant that holds Docker's rules (the one whose FORWARD jumps to DOCKER-USER)."""
    for tool in ("iptables-nft", "iptables-legacy"):
        listing = subprocess.run([tool, "-S", "FORWARD"], capture_output=True, text=True)
        if listing.returncode == 0 and f"-j {CHAIN}" in listing.stdout:
            return tool
    return None


def stale_rules(listing: str, live_interfaces: set[str]) -> list[list[str]]:
    """Our rules (from `-S DOCKER-USER`) whose bridge no longer exists, as `-D` arguments."""
    stale = []
    for line in listing.splitlines():
        words = shlex.split(line)
        if words[:2] != ["-A", CHAIN] or TAG not in line or "-i" not in words:
            continue
        bridge = words[words.index("-i") + 1]
        if bridge not in live_interfaces:
            stale.append(["-D", *words[1:]])
    return stale


def main() -> int:
    log = setup_logging("lan-rule")
    stop = StopSignal()
    stop.install_signal_handlers()
    gateway, subnet = os.environ["LAN_GATEWAY"], os.environ["LAN_SUBNET"]
    tool = docker_backend()
    if tool is None:
        log.info("Docker keeps no %s chain here (no firewall on its bridges): nothing to add", CHAIN)
        stop.wait()
        return 0
    bridge = next((i.name for i in ipv4_interfaces() if i.address == gateway), None)
    if bridge is None:
        log.error("no host interface has %s: is the private network up, and this on the host network?", gateway)
        return 1
    live = {name for _index, name in socket.if_nameindex()}
    listing = subprocess.run([tool, "-S", CHAIN], capture_output=True, text=True).stdout
    for args in stale_rules(listing, live):
        subprocess.run([tool, *args], capture_output=True)
    ours = rule_args(bridge, subnet)
    if subprocess.run([tool, "-C", CHAIN, *ours], capture_output=True).returncode != 0:
        added = subprocess.run([tool, "-I", CHAIN, *ours], capture_output=True, text=True)
        if added.returncode != 0:
            log.error("cannot add the rule (%s): %s", tool, added.stderr.strip())
            return 1
    log.info("%s: frames inside %s (%s) may carry any address, so the router next to them is reachable",
             tool, bridge, subnet)
    stop.wait()
    subprocess.run([tool, "-D", CHAIN, *ours], capture_output=True)
    log.info("rule removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
