"""Directory listings in the three shapes clients ask for.

LIST is `ls -l`-like text (RFC 959 leaves it free; every client parses this
Unix form), NLST is bare names, MLSD/MLST are RFC 3659's machine-readable
facts. Entries whose symlink leads out of the library are left out.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from .jail import UPLOAD_PREFIX, Jail

SIX_MONTHS = 182 * 24 * 3600


def entries(jail: Jail, directory: Path) -> list[tuple[str, os.stat_result]]:
    """Sorted (name, stat) pairs of a directory, minus hidden uploads and escaping links."""
    found = []
    with os.scandir(directory) as scan:
        for entry in scan:
            if entry.name.startswith(UPLOAD_PREFIX):
                continue
            path = Path(entry.path)
            if entry.is_symlink() and not jail.inside(path):
                continue
            try:
                found.append((entry.name, path.stat()))
            except OSError:
                continue  # dangling link or removed meanwhile
    found.sort()
    return found


def list_line(name: str, st: os.stat_result, now: float | None = None) -> str:
    """One `ls -l` style line, with owner and group shown as ftp."""
    now = time.time() if now is None else now
    mtime = time.gmtime(st.st_mtime)
    if abs(now - st.st_mtime) < SIX_MONTHS:
        when = time.strftime("%b %d %H:%M", mtime)
    else:
        when = time.strftime("%b %d  %Y", mtime)
    return f"{stat.filemode(st.st_mode)} {st.st_nlink:3d} ftp      ftp      {st.st_size:>12d} {when} {name}"


def mlsx_facts(name: str, st: os.stat_result, writable: bool, kind: str | None = None) -> str:
    """RFC 3659 facts, e.g. ``type=file;size=3;modify=20240101120000;perm=r; a.txt``."""
    is_dir = stat.S_ISDIR(st.st_mode)
    kind = kind or ("dir" if is_dir else "file")
    perm = ("el" + ("cmp" if writable else "")) if is_dir else ("r" + ("adfw" if writable else ""))
    facts = f"type={kind};"
    if not is_dir:
        facts += f"size={st.st_size};"
    facts += f"modify={mdtm(st.st_mtime)};perm={perm};"
    return f"{facts} {name}"


def mdtm(mtime: float) -> str:
    """RFC 3659 time-val: UTC, YYYYMMDDHHMMSS."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(mtime))


def render(kind: str, jail: Jail, path: Path, writable: bool) -> bytes:
    """The data-connection payload of LIST, NLST or MLSD for a directory or a file."""
    if path.is_dir():
        items = entries(jail, path)
    else:
        items = [(path.name, path.stat())]
    if kind == "NLST":
        lines = [name for name, _ in items]
    elif kind == "MLSD":
        lines = [mlsx_facts(name, st, writable) for name, st in items]
    else:
        now = time.time()
        lines = [list_line(name, st, now) for name, st in items]
    return "".join(line + "\r\n" for line in lines).encode("utf-8", "surrogateescape")
