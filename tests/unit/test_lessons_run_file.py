"""The wrapper `socketlab run` starts programs with: python3 FILE semantics, and a quiet Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from socketlab.settings import REPO_ROOT

CLIENTS = REPO_ROOT / "clients"


def run_file(path: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "socketlab_clients.run_file", str(path), *args],
                            cwd=path.parent, env={"PYTHONPATH": str(CLIENTS), "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_runs_as_main_with_argv_and_its_folder_on_the_path(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    (tmp_path / "prog.py").write_text("import sys, helper\nprint(__name__, sys.argv[1:], helper.VALUE)\n")
    out, err = run_file(tmp_path / "prog.py", "a", "b").communicate(timeout=30)
    assert out.strip() == "__main__ ['a', 'b'] 42", err


def test_exit_codes_and_tracebacks_are_the_programs(tmp_path: Path) -> None:
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "crash.py").write_text("x = 1\n1 / 0\n")
    proc = run_file(tmp_path / "exits.py")
    proc.communicate(timeout=30)
    assert proc.returncode == 3
    proc = run_file(tmp_path / "crash.py")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "ZeroDivisionError" in err and "crash.py" in err
    assert "runpy" not in err and "run_file" not in err


def test_ctrl_c_runs_finally_and_ends_with_130_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(60,)).start()   # a thread left running\n"
        "try:\n    print('ready', flush=True)\n    time.sleep(60)\nfinally:\n    print('closed', flush=True)\n")
    proc = run_file(tmp_path / "server.py")
    assert proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)  # a second Ctrl-C while it stops changes nothing
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "closed" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert time.monotonic() - started < 30  # the thread did not hold it open
