"""What each listener answers: which bind it is, and who is asking (pure).

One line, the same for TCP and UDP, so a person with `nc` and the lab's
checker read the same thing::

    bind=0.0.0.0:9003/tcp local=10.77.2.30:9003 you=10.77.2.50:41234

``bind`` is the address given to bind(); ``local`` is the address the packet
actually arrived at (for TCP, getsockname() of the accepted socket; for UDP the
IP_PKTINFO control message, which a socket bound to 0.0.0.0 needs to know it);
``you`` is the peer as the server sees it.
"""

from __future__ import annotations


def reply(bind_label: str, proto: str, peer: tuple[str, int], local: tuple[str, int] | None = None) -> bytes:
    """The answer line for one connection or datagram."""
    parts = [f"bind={bind_label}/{proto}"]
    if local is not None:
        parts.append(f"local={local[0]}:{local[1]}")
    parts.append(f"you={peer[0]}:{peer[1]}")
    return (" ".join(parts) + "\n").encode()


def parse_reply(data: bytes) -> dict[str, str]:
    """The fields of a reply line; ValueError if it is not one."""
    text = data.decode(errors="replace").strip()
    fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
    if "bind" not in fields or "you" not in fields:
        raise ValueError(f"not a bind-demo reply: {text!r}")
    return fields
