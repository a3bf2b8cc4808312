"""UDP broadcast on the lab's public subnet (notes 1.3: 广播 — "网络广播，群发消息").

    $ broadcast-listen                      # on several hosts: prints every datagram it hears
    listening on 0.0.0.0:9999 (this host: eth0 10.77.1.140/24)
    from 10.77.1.141:43512: hello from 10.77.1.141

    $ broadcast-send "hello"                # on another host of the same subnet
    sent 'hello' to 10.77.1.255:9999 from 10.77.1.141 (subnet 10.77.1.0/24, SO_BROADCAST on)

A broadcast is one datagram to the subnet's broadcast address (all host bits
set: 10.77.1.255 for 10.77.1.0/24); the link delivers it to every host on that
subnet and routers never forward it, so hosts on the private network hear
nothing. The kernel refuses to send it (EACCES) unless the socket sets
SO_BROADCAST first: try ``broadcast-send --no-so-broadcast``. A receiver must
bind the port on 0.0.0.0 (or the broadcast address): bound to its unicast IP it
would hear only datagrams addressed to that IP — the bind() lesson again.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time

from socketlab_common.interfaces import first_non_loopback, ipv4_interfaces

from .interactive import exit_with

DEFAULT_PORT = 9999
MAX_DATAGRAM = 65507


def send(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="broadcast-send", description="send a UDP broadcast to this subnet")
    parser.add_argument("message", nargs="?", help="text to send (default: hello from <my ip>)")
    parser.add_argument("--to", help="destination (default: this host's subnet broadcast address)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--count", type=int, default=1, help="datagrams to send (UDP may drop one)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between datagrams")
    parser.add_argument("--no-so-broadcast", action="store_true", help="leave SO_BROADCAST off to see EACCES")
    args = parser.parse_args(argv)
    iface = first_non_loopback(ipv4_interfaces())
    destination = args.to or iface.broadcast
    message = args.message or f"hello from {iface.address}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        if not args.no_so_broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        for number in range(args.count):
            if number:
                time.sleep(args.interval)  # pacing between repeats, not synchronisation
            try:
                sock.sendto(message.encode(), (destination, args.port))
            except PermissionError as exc:
                print(f"sendto {destination}:{args.port} failed: {exc} — a broadcast needs SO_BROADCAST",
                      file=sys.stderr)
                return 1
    state = "off" if args.no_so_broadcast else "on"
    print(f"sent {message!r} to {destination}:{args.port} from {iface.address} "
          f"(subnet {iface.interface.network}, SO_BROADCAST {state})", flush=True)
    return 0


def listen(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="broadcast-listen", description="print every datagram heard on a port")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--bind", default="0.0.0.0", help="address to bind (0.0.0.0 hears broadcasts)")
    parser.add_argument("--count", type=int, default=0, help="exit after this many datagrams (0: never)")
    parser.add_argument("--timeout", type=float, default=0, help="exit 1 after this long without enough (0: never)")
    args = parser.parse_args(argv)
    interfaces = ", ".join(str(i) for i in ipv4_interfaces() if not i.interface.ip.is_loopback)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.bind, args.port))
        print(f"listening on {args.bind}:{args.port} (this host: {interfaces})", flush=True)
        deadline = time.monotonic() + args.timeout if args.timeout else None
        heard = 0
        while not args.count or heard < args.count:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    print(f"(heard {heard} datagram(s) in {args.timeout:g}s)", flush=True)
                    return 1
                sock.settimeout(left)
            try:
                data, (host, port) = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            heard += 1
            print(f"from {host}:{port}: {data.decode(errors='replace')}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("send", "listen"):
        print("usage: python3 -m socketlab_clients.broadcast {send|listen} ...", file=sys.stderr)
        return 2
    return (send if argv[0] == "send" else listen)(argv[1:])


if __name__ == "__main__":
    exit_with(main)
