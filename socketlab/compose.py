"""Running `docker compose` against the lab's compose file with the lab's settings."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from .settings import COMPOSE_FILE, REPO_ROOT, LabSettings


def compose_command(settings: LabSettings, *args: str) -> list[str]:
    return ["docker", "compose", "-f", str(COMPOSE_FILE), "-p", settings.project, *args]


def run_compose(settings: LabSettings, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """Run one compose command; raise CalledProcessError if it fails."""
    return subprocess.run(
        compose_command(settings, *args),
        cwd=REPO_ROOT,
        env=settings.compose_env(),
        check=True,
        text=True,
        capture_output=capture,
    )


@dataclass(frozen=True)
class ImageBuild:
    """One image the compose file builds, and how."""

    image: str
    dockerfile: str
    services: tuple[str, ...]


def image_builds(settings: LabSettings, profiles: tuple[str, ...] = ("*",)) -> list[ImageBuild]:
    """Every image with a `build:` section among the default services and those of `profiles`,
    each once (several services share one image)."""
    flags = [arg for profile in profiles for arg in ("--profile", profile)]
    config = json.loads(run_compose(settings, *flags, "config", "--format", "json", capture=True).stdout)
    by_image: dict[str, tuple[str, list[str]]] = {}
    for name, service in config["services"].items():
        build = service.get("build")
        if not build:
            continue
        entry = by_image.setdefault(service["image"], (build.get("dockerfile", "Dockerfile"), []))
        entry[1].append(name)
    return [ImageBuild(image, dockerfile, tuple(services)) for image, (dockerfile, services) in by_image.items()]
