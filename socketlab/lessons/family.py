"""A program's children over time, from Program.snapshots() (pure: no Docker).

Chapter 2's checkers ask questions a single `ps` cannot answer reliably:
how many children ran at the same time, and which PIDs were ever children
of the program. Each snapshot is a list of ProcessInfo whose first row is
the program itself.
"""

from __future__ import annotations

from .kit import ProcessInfo

Snapshots = list[list[ProcessInfo]]


def root_pid(snapshots: Snapshots) -> int | None:
    """The program's own PID (the first row of every snapshot)."""
    return snapshots[0][0].pid if snapshots and snapshots[0] else None


def children(tree: list[ProcessInfo]) -> list[ProcessInfo]:
    """The direct children of the tree's root (zombies included)."""
    return [p for p in tree[1:] if tree and p.ppid == tree[0].pid]


def running(process: ProcessInfo) -> bool:
    """Not a zombie (ps state Z) and not dead (X)."""
    return not process.stat.startswith(("Z", "X"))


def children_seen(snapshots: Snapshots) -> dict[int, ProcessInfo]:
    """Every direct child of the program seen in any snapshot, by PID (its last sighting)."""
    seen: dict[int, ProcessInfo] = {}
    for tree in snapshots:
        for child in children(tree):
            seen[child.pid] = child
    return seen


def most_at_once(snapshots: Snapshots) -> int:
    """The largest number of running (not zombie) direct children in one snapshot."""
    return max((sum(running(c) for c in children(tree)) for tree in snapshots), default=0)

