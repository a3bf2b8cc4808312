"""`socketlab client shell [--network private] [--ip ADDR]`: a login on a fresh client host.

The `client` command passes everything after the program name to the program,
so in ``socketlab client shell --network private`` argparse hands
``["shell", "--network", "private"]`` to us as the command. This module reads
the options that follow ``shell`` and builds the shell command: bash, after a
banner (on stderr, so piped output stays clean) that says which host this is.
"""

from __future__ import annotations

import argparse

BANNER = (
    'echo "fresh client host $(hostname) on the {network} network:' + " $(ip -4 -o addr show scope global"
    " | awk '{{print $2, $4}}' | paste -sd' ')\" >&2; "
    'echo "try: ip -4 addr | ping -c1 <ip> | nc <ip> <port> | curl | echo-client <host>" >&2; exec bash'
)


def shell_request(network: str, ip: str | None, rest: list[str]) -> tuple[str, str | None, list[str]]:
    """Options given after ``shell`` win over those before it; returns (network, ip, command)."""
    parser = argparse.ArgumentParser(prog="socketlab client shell")
    parser.add_argument("--network", default=network, choices=["public", "private"])
    parser.add_argument("--ip", default=ip)
    args = parser.parse_args(rest)
    return args.network, args.ip, ["sh", "-c", BANNER.format(network=args.network)]
