"""Class mode: what the teacher tells the students once the lab is published on the machine's address.

`SOCKETLAB_PUBLISH_IP=0.0.0.0 socketlab up` publishes every service on all
of this machine's addresses; students dial the address other machines reach
it at (SOCKETLAB_PUBLIC_HOST, detected when unset), which is also what FTP's
PASV advertises to them. The lines printed here are the ones in
docs/teaching-a-class.md, with this lab's ports filled in.
"""

from __future__ import annotations

from .settings import LabSettings


def class_lines(settings: LabSettings) -> list[str]:
    """The commands a student runs from their own machine ([] unless the lab is published beyond loopback)."""
    if settings.publish_ip.startswith("127."):
        return []
    host = settings.reachable_host
    port = settings.host_port
    return [
        f"class mode: students reach this machine at {host} (published on {settings.publish_ip})",
        f"  echo (epoll):  nc {host} {port(815)}           UDP echo: nc -u {host} {port(818)}",
        f"  web:           curl http://{host}:{port(80)}/   or a browser at that address",
        f"  FTP:           lftp -p {port(21)} {host}   curl ftp://{host}:{port(21)}/   "
        f"(passive ports {port(100)}+ published too)",
        f"  chat (UDP):    {host}:{port(0)}/udp (the notes' chat client)",
        "  a firewall on this machine must let these ports in",
    ]
