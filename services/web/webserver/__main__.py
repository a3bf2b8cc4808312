"""Run the web server: ``python -m webserver --model select --port 8000 --root ./static``.

Every option falls back to an environment variable (WEB_MODEL, WEB_HOST,
WEB_PORT, WEB_ROOT, WEB_LISTING, WEB_ACCESS_LOG, WEB_KEEPALIVE_TIMEOUT,
WEB_HEADER_TIMEOUT, WEB_SEND_TIMEOUT, WEB_LINGERING_TIME, WEB_LINGERING_TIMEOUT,
WEB_LINGERING_BYTES) so compose configures it without a custom command.
"""

from __future__ import annotations

import argparse
import os
import sys

from socketlab_common.log import setup_logging

from models import MODELS

from .handler import Lingering, Timeouts
from .server import WebServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    defaults, linger = Timeouts(), Lingering()
    parser = argparse.ArgumentParser(prog="webserver", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=MODELS, default=env.get("WEB_MODEL", "select"))
    parser.add_argument("--host", default=env.get("WEB_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(env.get("WEB_PORT", "8000")))
    parser.add_argument("--root", default=env.get("WEB_ROOT", "./static"), help="document root")
    parser.add_argument("--listing", action="store_true", default=env.get("WEB_LISTING") == "1",
                        help="list directories that have no index.html (off by default)")
    parser.add_argument("--access-log", default=env.get("WEB_ACCESS_LOG", "-"),
                        help="'-' for stdout (default), 'off', or a file path")
    parser.add_argument("--keepalive-timeout", type=float,
                        default=float(env.get("WEB_KEEPALIVE_TIMEOUT", defaults.keepalive)))
    parser.add_argument("--header-timeout", type=float,
                        default=float(env.get("WEB_HEADER_TIMEOUT", defaults.header)))
    parser.add_argument("--send-timeout", type=float, default=float(env.get("WEB_SEND_TIMEOUT", defaults.send)))
    parser.add_argument("--lingering-time", type=float, default=float(env.get("WEB_LINGERING_TIME", linger.time)),
                        help="seconds a lingering close may last in all (nginx lingering_time; 0: close at once)")
    parser.add_argument("--lingering-timeout", type=float,
                        default=float(env.get("WEB_LINGERING_TIMEOUT", linger.timeout)),
                        help="seconds a lingering close waits for more bytes (nginx lingering_timeout)")
    parser.add_argument("--lingering-bytes", type=int, default=int(env.get("WEB_LINGERING_BYTES", linger.max_bytes)),
                        help="bytes a lingering close discards at most before it cuts the client off")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging("webserver")
    if args.access_log == "off":
        access_log = None
    elif args.access_log == "-":
        access_log = sys.stdout
    else:
        access_log = open(args.access_log, "a", encoding="utf-8")
    timeouts = Timeouts(header=args.header_timeout, keepalive=args.keepalive_timeout, send=args.send_timeout)
    lingering = Lingering(time=args.lingering_time, timeout=args.lingering_timeout, max_bytes=args.lingering_bytes)
    server = WebServer(host=args.host, port=args.port, html=args.root, model=args.model, listing=args.listing,
                       timeouts=timeouts, lingering=lingering, access_log=access_log)
    server.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
