"""Run an echo server: ``python -m echo --model epoll --port 8888`` (or ``--udp``).

Options fall back to environment variables (ECHO_MODEL, ECHO_HOST, ECHO_PORT,
ECHO_UDP) so compose can configure each service without a custom command.
"""

from __future__ import annotations

import argparse
import os
import sys

from socketlab_common.lifecycle import StopSignal
from socketlab_common.listeners import tcp_listener, udp_socket
from socketlab_common.log import setup_logging
from socketlab_common.probe import is_probe

from models import MODELS, get_driver

from .protocol import EchoSession
from .udp import serve_udp


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(prog="echo", description=__doc__)
    parser.add_argument("--model", choices=MODELS, default=env.get("ECHO_MODEL", "epoll"))
    parser.add_argument("--host", default=env.get("ECHO_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(env.get("ECHO_PORT", "8888")))
    parser.add_argument("--udp", action="store_true", default=env.get("ECHO_UDP") == "1",
                        help="UDP echo instead of TCP (one loop; --model is ignored)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = setup_logging("echo")
    stop = StopSignal()
    stop.install_signal_handlers()
    if args.udp:
        sock = udp_socket(args.host, args.port)
        log.info("UDP echo on %s:%d", *sock.getsockname())
        with sock:
            serve_udp(sock, stop)
    else:
        listener = tcp_listener(args.host, args.port)
        # Tests start servers on port 0; they read the real port from this line.
        log.info("TCP echo (%s model) listening on %s:%d", args.model, *listener.getsockname())

        def new_session(peer: tuple) -> EchoSession:
            if not is_probe(peer):  # the health check's connections are not the learner's
                log.info("connect from %s:%d", *peer[:2])  # the notes' print("Connect from", addr)
            return EchoSession(peer)

        with listener:
            get_driver(args.model)(listener, new_session, stop)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
