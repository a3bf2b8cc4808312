"""Mapping client path names into the file library, and never out of it.

A client names files by virtual paths ("/pub/a.txt", "../b", "c"). `Jail`
joins them with the current directory, refuses any ``..`` that would climb
above the root (rather than silently clamping it, so ``CWD /../..`` is an
error the client sees), then resolves symlinks and checks the real target is
still inside the root: a symlink in the library pointing at /etc is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

UPLOAD_PREFIX = ".ftp-upload-"
"""Temporary files of uploads in progress; hidden from listings and refused as names."""


class JailError(ValueError):
    """The path would leave the library, or is not a valid name."""


class Jail:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def virtual(self, cwd: str, name: str) -> str:
        """The normalized absolute virtual path of `name` seen from `cwd`."""
        if "\x00" in name:
            raise JailError("NUL in path")
        parts: list[str] = [] if name.startswith("/") else [p for p in cwd.split("/") if p]
        for part in name.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise JailError("path climbs above the root")
                parts.pop()
                continue
            if part.startswith(UPLOAD_PREFIX):
                raise JailError("reserved name")
            parts.append(part)
        return "/" + "/".join(parts)

    def real(self, vpath: str) -> Path:
        """The real path of virtual `vpath`, checked to stay in the root after symlinks.

        The returned path is unresolved (so DELE of a symlink inside the library
        removes the link, not its target), but its resolution was checked.
        """
        path = self.root / vpath.lstrip("/")
        try:
            resolved = path.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise JailError(str(exc)) from exc
        if not resolved.is_relative_to(self.root):
            raise JailError("path leaves the library")
        return path

    def resolve(self, cwd: str, name: str) -> tuple[str, Path]:
        """Both the virtual and the real path of `name` seen from `cwd`."""
        vpath = self.virtual(cwd, name)
        return vpath, self.real(vpath)

    def inside(self, path: Path) -> bool:
        """Whether `path` (e.g. a directory entry) resolves inside the root."""
        try:
            return path.resolve(strict=False).is_relative_to(self.root)
        except (OSError, RuntimeError):
            return False


def remove_stale_uploads(root: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files of uploads that a killed server never finished; return them.

    Only one server uses the library, so at start-up every such file is the
    remnant of a previous run (a SIGKILL or a power cut cannot run the
    clean-up an aborted upload gets).
    """
    removed = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            if name.startswith(UPLOAD_PREFIX):
                path = Path(directory) / name
                try:
                    path.unlink()
                except OSError:
                    continue
                removed.append(path)
    return removed
