"""What a server container looked like right after a case went wrong, in one line.

A load report says what the clients saw ("10000 connected but never served");
it cannot say why. Was the server still running, restarted, killed for memory,
how many tasks (processes and threads) did it have, what did it last log? The
echo suite adds this line to a case's notes whenever errors appear where none
are expected, so a failure in a 30-minute run explains itself afterwards.
"""

from __future__ import annotations

import docker.errors

TASKS_SCRIPT = "cat /sys/fs/cgroup/pids/pids.current 2>/dev/null || cat /sys/fs/cgroup/pids.current"
"""Tasks (processes + threads) in the container's pids cgroup: cgroup v1, then v2."""

LOG_LINES = 3


def server_state(container, since: float) -> str:
    """e.g. "server running, 10001 tasks, last log: ..." (Docker's view, the cgroup's, the server's)."""
    try:
        container.reload()
    except docker.errors.APIError as exc:
        return f"server state unknown: {exc}"
    state = container.attrs.get("State", {})
    parts = [f"server {state.get('Status', '?')}"]
    if state.get("OOMKilled"):
        parts.append("OOM-killed")
    if restarts := container.attrs.get("RestartCount"):
        parts.append(f"{restarts} restarts")
    parts.append(_tasks(container))
    logs = _recent_logs(container, since)
    if logs:
        parts.append("last log: " + " | ".join(logs))
    return ", ".join(parts)


def _tasks(container) -> str:
    try:
        code, output = container.exec_run(["sh", "-c", TASKS_SCRIPT])
    except docker.errors.APIError as exc:  # a container at its pids limit cannot even start `sh`
        return f"tasks unknown ({exc.explanation or exc})"[:120]
    text = output.decode(errors="replace").strip()
    return f"{text} tasks" if code == 0 and text.isdigit() else "tasks unknown"


def _recent_logs(container, since: float) -> list[str]:
    try:
        raw = container.logs(since=int(since), tail=LOG_LINES)
    except docker.errors.APIError:
        return []
    return [line.strip()[:160] for line in raw.decode(errors="replace").splitlines() if line.strip()]
