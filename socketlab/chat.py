"""`socketlab chat announce|who|stats`: the chat room's administrator, from the host.

The admin socket is bound to 127.0.0.1 inside the chat container, so no lab
host (and not this one) can reach it over the network. These commands go in
the only way there is: `docker compose exec chat chat-admin ...`, a program
run inside the container, where 127.0.0.1 is the server's own loopback.
"""

from __future__ import annotations

import argparse
import subprocess

from .compose import run_compose
from .settings import LabSettings


def _admin(settings: LabSettings, *argv: str) -> int:
    try:
        run_compose(settings, "exec", "-T", "chat", "chat-admin", *argv)
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    return 0


def cmd_announce(settings: LabSettings, args: argparse.Namespace) -> int:
    return _admin(settings, " ".join(args.text))


def cmd_who(settings: LabSettings, _args: argparse.Namespace) -> int:
    return _admin(settings, "--who")


def cmd_stats(settings: LabSettings, _args: argparse.Namespace) -> int:
    return _admin(settings, "--stats")


def register(sub: argparse._SubParsersAction) -> None:
    chat = sub.add_parser("chat", help="administer the chat room (announce, who, stats)",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = chat.add_subparsers(dest="chat_action", required=True)
    announce = actions.add_parser("announce", help="send 管理员消息: TEXT to every member")
    announce.add_argument("text", nargs="+")
    announce.set_defaults(func=cmd_announce)
    actions.add_parser("who", help="list the members and their addresses").set_defaults(func=cmd_who)
    actions.add_parser("stats", help="the server's counters").set_defaults(func=cmd_stats)
