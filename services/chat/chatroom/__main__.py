"""Run the chat server: ``python -m chatroom`` (options fall back to CHAT_* environment variables).

CHAT_HOST/CHAT_PORT       the room's UDP socket (0.0.0.0:8000, the notes' address)
CHAT_ADMIN_HOST/PORT      the administrator's UDP socket (127.0.0.1:8001: loopback only)
CHAT_TIMEOUT              seconds of silence before a member is dropped (30)
CHAT_MAX_MEMBERS          room size (256)
CHAT_MAX_PER_HOST         members sharing one IP address (16; 0: no limit)
CHAT_RATE, CHAT_BURST     chat lines a second per member (10; 0: no limit), and at once (40)
CHAT_STATS_INTERVAL       seconds between count lines in the log (60)
"""

from __future__ import annotations

import argparse
import os
import sys

from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import udp_socket
from socketlab_common.log import setup_logging

from .room import DEFAULT_BURST, DEFAULT_MAX_MEMBERS, DEFAULT_MAX_PER_HOST, DEFAULT_RATE, DEFAULT_TIMEOUT, Room
from .server import ChatServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="chatroom", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=env.get("CHAT_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(env.get("CHAT_PORT", "8000")))
    parser.add_argument("--admin-host", default=env.get("CHAT_ADMIN_HOST", "127.0.0.1"))
    parser.add_argument("--admin-port", type=int, default=int(env.get("CHAT_ADMIN_PORT", "8001")),
                        help="0 disables the admin socket")
    parser.add_argument("--timeout", type=float, default=float(env.get("CHAT_TIMEOUT", DEFAULT_TIMEOUT)))
    parser.add_argument("--max-members", type=int, default=int(env.get("CHAT_MAX_MEMBERS", DEFAULT_MAX_MEMBERS)))
    parser.add_argument("--max-per-host", type=int,
                        default=int(env.get("CHAT_MAX_PER_HOST", DEFAULT_MAX_PER_HOST)))
    parser.add_argument("--rate", type=float, default=float(env.get("CHAT_RATE", DEFAULT_RATE)))
    parser.add_argument("--burst", type=float, default=float(env.get("CHAT_BURST", DEFAULT_BURST)))
    parser.add_argument("--stats-interval", type=float, default=float(env.get("CHAT_STATS_INTERVAL", "60")))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = setup_logging("chat")
    stop = StopSignal()
    stop.install_signal_handlers()
    sock = udp_socket(args.host, args.port)
    admin = udp_socket(args.admin_host, args.admin_port) if args.admin_port else None
    log.info("chat room on udp %s:%d, timeout %gs, max %d members (%d per host), %g lines/s per member "
             "(bursts of %g)", *sock.getsockname(), args.timeout, args.max_members, args.max_per_host, args.rate,
             args.burst)
    if admin is not None:
        log.info("admin channel on udp %s:%d (loopback: unreachable from the lab network)", *admin.getsockname())
    room = Room(timeout=args.timeout, max_members=args.max_members, max_per_host=args.max_per_host,
                rate=args.rate, burst=max(1.0, args.burst))
    try:
        ChatServer(sock, admin, room, stop, stats_interval=args.stats_interval).serve()
    finally:
        sock.close()
        if admin is not None:
            admin.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
