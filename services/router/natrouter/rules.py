"""The router's firewall as data: what a home router does, in five iptables rules.

Kept apart from the program that applies them so the rule set is read (and
unit-tested) as the lesson it is:

* forwarding is off unless allowed (policy DROP);
* a connection may start only on the private side, towards the public subnet;
* replies of such connections come back (conntrack: ESTABLISHED, RELATED);
* on the way out the private source address is replaced by the router's own
  public address (MASQUERADE), so public servers see the router, never the
  private host — and have no address to open a connection to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RouterPlan:
    public_if: str
    private_if: str
    public_subnet: str
    private_subnet: str

    def restore_input(self) -> str:
        """The rule set as `iptables-restore` input (applied at once, replacing what was there)."""
        return "\n".join([
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD DROP [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            f"-A FORWARD -i {self.private_if} -o {self.public_if} -s {self.private_subnet} "
            f"-d {self.public_subnet} -j ACCEPT",
            "COMMIT",
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            ":INPUT ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]",
            f"-A POSTROUTING -s {self.private_subnet} -o {self.public_if} -j MASQUERADE",
            "COMMIT",
            "",
        ])

    def masquerade_check(self) -> list[str]:
        """`iptables` arguments that succeed only while the MASQUERADE rule is in place."""
        return ["-t", "nat", "-C", "POSTROUTING", "-s", self.private_subnet, "-o", self.public_if,
                "-j", "MASQUERADE"]

    def describe(self) -> str:
        return (f"NAT {self.private_subnet} ({self.private_if}) -> {self.public_subnet} ({self.public_if}): "
                f"new connections only from the private side, source rewritten to this router's public address")
