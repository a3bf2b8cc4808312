"""Building the lab's images with the docker SDK, with progress on the terminal.

The SDK's classic builder never consults a registry for a base image that
exists locally, which is what a machine that cannot pull needs. The base
image itself is made by scripts/build-base-image.sh (debootstrap).
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import docker
from docker.errors import BuildError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .compose import ImageBuild, image_builds
from .settings import REPO_ROOT, LabSettings

BASE_IMAGE = os.environ.get("SOCKETLAB_BASE_IMAGE", "socketlab/base:bookworm")


def ensure_base_image(console: Console) -> None:
    """Build the base image unless it is present with the packages the script installs (it knows which)."""
    script = str(REPO_ROOT / "scripts" / "build-base-image.sh")
    if subprocess.run([script, "--current"], check=False).returncode != 0:
        console.print(f"[bold]building base image {BASE_IMAGE} with debootstrap (about a minute)")
        subprocess.run([script], check=True)


LAB_PROFILES = ("client",)
"""What `socketlab up` builds: the lab's services and the client hosts. The benchmark's peers
(profile `bench`) are built when a benchmark first needs them."""

EVERY_PROFILE = ("*",)

BUILD_WORKERS = int(os.environ.get("SOCKETLAB_BUILD_WORKERS", "3"))
"""Builds run side by side: most of a cold build waits on apt's downloads and on the engine's
layer commits, not on a CPU, so a few at once finish sooner even on two cores."""


def build_images(settings: LabSettings, console: Console | None = None, quiet: bool = False,
                 profiles: tuple[str, ...] = LAB_PROFILES) -> list[str]:
    """Build the images of the default services and of `profiles` (cached layers make repeats fast)."""
    console = console or Console(stderr=True, quiet=quiet)
    client = docker.from_env()
    ensure_base_image(console)
    builds = image_builds(settings, profiles)
    with Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.fields[step]}"), TimeElapsedColumn(), console=console, transient=quiet,
    ) as progress:
        overall = progress.add_task("images", total=len(builds), step="")

        def build(one: ImageBuild) -> None:
            task = progress.add_task(f"  {one.image}", total=None, step="")
            _build_one(client, one, lambda line: progress.update(task, step=line[:50]))
            progress.remove_task(task)
            progress.advance(overall)

        with ThreadPoolExecutor(max(1, BUILD_WORKERS)) as pool:
            for future in [pool.submit(build, one) for one in builds]:
                future.result()
        progress.update(overall, description="images built", step="")
    return [b.image for b in builds]


def _build_one(client: docker.DockerClient, build: ImageBuild, on_line) -> None:
    lines: list[str] = []
    stream = client.api.build(
        path=str(REPO_ROOT), dockerfile=build.dockerfile, tag=build.image, rm=True,
        buildargs={"BASE_IMAGE": BASE_IMAGE}, decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            raise BuildError(chunk["error"] + "\n" + "".join(lines[-20:]), lines)
        text = chunk.get("stream", "")
        if text.strip():
            lines.append(text)
            on_line(text.strip())
