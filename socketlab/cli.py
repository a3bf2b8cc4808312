"""`socketlab`: the lab's command line. 实验室的命令行：先 up，再 client、run、lesson、top ...

Every command reads COMPOSE_PROJECT_NAME, SOCKETLAB_NET_PREFIX,
SOCKETLAB_PORT_PREFIX and SOCKETLAB_PUBLISH_IP, so it can drive any stack.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import docker.errors
from rich.console import Console

from .argtypes import LabArgumentParser
from .classroom import class_lines
from .compose import run_compose
from .errors import LAB_NOT_UP, LabError, explain_docker_error
from .hosts import client_hostname
from .images import EVERY_PROFILE, build_images
from .lab import Lab
from .settings import LabSettings
from .swarm import add_swarm_options
from .topology import hosts_table, lab_hosts

console = Console()


def cmd_build(settings: LabSettings, _args: argparse.Namespace) -> int:
    build_images(settings, console, profiles=EVERY_PROFILE)
    return 0


def cmd_up(settings: LabSettings, _args: argparse.Namespace) -> int:
    if getattr(_args, "swarm", False):
        from .swarm import cmd_up_swarm

        return cmd_up_swarm(settings, _args)
    build_images(settings, console)
    console.print("[bold]starting the lab (docker compose up --wait)")
    run_compose(settings, "up", "-d", "--wait", "--no-build", "--remove-orphans")
    code = cmd_ps(settings, _args)
    for line in class_lines(settings):
        console.print(line, highlight=False, soft_wrap=True)
    return code


def cmd_down(settings: LabSettings, _args: argparse.Namespace) -> int:
    if getattr(_args, "swarm", False):
        from .swarm import cmd_down_swarm

        return cmd_down_swarm(settings, _args)
    run_compose(settings, "--profile", "*", "down", "--remove-orphans", "--volumes")
    return 0


def cmd_ps(settings: LabSettings, _args: argparse.Namespace) -> int:
    rows = lab_hosts(settings)
    if not rows:
        console.print(LAB_NOT_UP.format(project=settings.project))
        return 1
    console.print(hosts_table(rows, f"socketlab ({settings.project})", console.width))
    return 0


def client_command(settings: LabSettings, network: str, ip: str | None, command: list[str],
                   host_number: int | None = None) -> list[str]:
    """A `docker run` line for a fresh client host on the lab network."""
    argv = ["docker", "run", "--rm", "--init", "--network", settings.network(network),
            "--hostname", client_hostname(network, host_number),
            "--cap-add", "NET_ADMIN", "--cap-add", "NET_RAW",
            "--label", f"com.docker.compose.project={settings.project}",
            "--label", "socketlab.model=client", "--label", "socketlab.system=client host"]
    if ip:
        argv += ["--ip", ip]
    for name, value in settings.host_env(network).items():
        argv += ["-e", f"{name}={value}"]
    if sys.stdin.isatty():
        argv += ["-it"]
    else:
        argv += ["-i"]
    return [*argv, settings.client_image, *(command or ["bash"])]


def cmd_client(settings: LabSettings, args: argparse.Namespace) -> int:
    network, ip, command = args.network, args.ip, args.command
    if command[:1] == ["shell"]:  # `socketlab client shell --network private`: an interactive bash
        from .shell import shell_request

        network, ip, command = shell_request(network, ip, command[1:])
    host_number = Lab(settings).check_host_address(network, ip)
    argv = client_command(settings, network, ip, command, host_number)
    return subprocess.call(argv)


# Feature modules that add their own subcommands: each has
# ``register(sub: argparse._SubParsersAction) -> None`` whose handlers take
# ``(settings, args) -> int`` through ``set_defaults(func=...)``.
# They are listed in `--help` after the lab's own commands, in this order: a learner's first.
COMMAND_MODULES: list[str] = ["run", "lessons.cli", "top", "capture", "check", "topology", "chat", "fuzz",
                              "bench.cli", "swarm"]


def build_parser() -> argparse.ArgumentParser:
    parser = LabArgumentParser(prog="socketlab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    up = sub.add_parser("up", help="build and start the lab, wait for health, show it")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop and remove the lab")
    down.set_defaults(func=cmd_down)
    add_swarm_options(up, down)
    sub.add_parser("ps", help="every host: model, networks, IPs, ports, health").set_defaults(func=cmd_ps)
    client = sub.add_parser(
        "client", help="run a command (default: a shell) on a fresh client host",
        description="examples: socketlab client echo-client echo-select | socketlab client udp-client echo-udp"
                    " | socketlab client shell --network private",
    )
    client.add_argument("--network", default="public", choices=["public", "private"])
    client.add_argument("--ip", help="a fixed address for this host (default: assigned)")
    client.add_argument("command", nargs=argparse.REMAINDER, help="program and arguments to run")
    client.set_defaults(func=cmd_client)
    sub.add_parser("build", help="build every image, the benchmark's too").set_defaults(func=cmd_build)
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"socketlab.{module_name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure the user can fix ends as one line, never a traceback."""
    try:
        args = build_parser().parse_args(argv)
        return args.func(LabSettings.from_env(), args)
    except KeyboardInterrupt:
        return 130
    except LabError as exc:
        console.print(f"[red]socketlab: {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except docker.errors.DockerException as exc:
        console.print(f"[red]socketlab: {explain_docker_error(exc)}", highlight=False, soft_wrap=True)
        return 1
    except subprocess.CalledProcessError as exc:
        console.print(f"[red]socketlab: command failed ({exc.returncode}): {' '.join(map(str, exc.cmd))}",
                      highlight=False, soft_wrap=True)
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
