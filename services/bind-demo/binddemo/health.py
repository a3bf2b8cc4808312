"""Healthcheck: every listener answers, over TCP and UDP (``python3 -m binddemo.health``).

Run inside the container, so all three binds must be reachable from here
(that is the "inside the container" row of the reachability table). It speaks
from the probes' own loopback address, which the server does not log.
"""

from __future__ import annotations

import os
import sys

from socketlab_common.probe import probe_connection, probe_datagram_socket

from .__main__ import public_address
from .plan import DEFAULT_PORTS, parse_ports, plan_binds
from .protocol import parse_reply

TIMEOUT = 2.0


def _check(host: str, port: int, expected_bind: str) -> None:
    with probe_connection(host, port, TIMEOUT) as sock:
        got = parse_reply(sock.recv(256))
    if got["bind"] != f"{expected_bind}/tcp":
        raise OSError(f"tcp {host}:{port} answered {got['bind']}")
    with probe_datagram_socket(TIMEOUT) as sock:
        sock.sendto(b"health", (host, port))
        got = parse_reply(sock.recvfrom(256)[0])
    if got["bind"] != f"{expected_bind}/udp":
        raise OSError(f"udp {host}:{port} answered {got['bind']}")


def main() -> int:
    env = os.environ
    try:
        ports = parse_ports(env.get("BIND_PORTS", ",".join(map(str, DEFAULT_PORTS))))
        for bind in plan_binds(public_address(env.get("BIND_PUBLIC_SUBNET") or None), ports):
            _check("127.0.0.1" if bind.host == "0.0.0.0" else bind.host, bind.port, bind.label)
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
