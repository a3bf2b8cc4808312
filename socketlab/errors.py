"""What the user reads when something goes wrong: one line that says what to do.

Every command raises `LabError` with a sentence for the user; `cli.main`
prints it and exits non-zero, so no traceback ever reaches the terminal.
`explain_docker_error` turns the engine's raw messages ("network ... not
found", "Address already in use") into that sentence.
"""

from __future__ import annotations

import re

import docker.errors


class LabError(Exception):
    """A problem the user can fix, described in one line (what is wrong, what to do)."""

    exit_code = 1


class UsageError(LabError):
    """A bad argument: what was given, and what is valid."""

    exit_code = 2


LAB_NOT_UP = "the lab is not up (project {project!r}): run `make up` first"


def explain_docker_error(exc: Exception, project: str = "socketlab") -> str:
    """One line for a Docker error, naming the fix where one is known."""
    text = str(getattr(exc, "explanation", None) or exc).strip()
    if isinstance(exc, docker.errors.DockerException) and not isinstance(exc, docker.errors.APIError):
        if "Connection refused" in text or "FileNotFoundError" in text or "No such file" in text:
            return "no Docker engine answers: start Docker (or check DOCKER_HOST), then try again"
    if re.search(r"network \S+ not found", text):
        return LAB_NOT_UP.format(project=project)
    if "Address already in use" in text:
        return "that IP address is already taken on the lab network: choose another with --ip, or leave it out"
    if "No such image" in text or "pull access denied" in text:
        return f"an image is missing ({_first_line(text)}): run `make up` to build the lab's images"
    return f"Docker: {_first_line(text)}"


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else "unknown error"
