"""Checker of lesson 2.2.4-pool: a folder copied whole by the processes of a Pool.

The checker makes a folder `data` of 20 files of random bytes (one empty, one with a
Chinese name, up to 1 MB each so that the pool lives long enough to be seen at work; new
each time, so nothing can be hard-coded) in the program's working directory, and types its
name on the program's stdin, as the notes' program asks for it with input(). The copy must
appear as `data-备份`, every file byte for byte (sha256, on the program's host). Its tree is
sampled every 20 ms from before it starts (start(watch=True)): at least two pool processes,
children of the program, existed at once, and the PIDs the program prints
(`a.bin 拷贝完成 PID=57`) are theirs, not the parent's.
The program must end by itself, status 0.
"""
import hashlib
import os
import re
import tempfile
from pathlib import Path

from socketlab.lessons.family import children_seen, most_at_once, root_pid
from socketlab.lessons.kit import WORKDIR, Checkup, tail
from socketlab.lessons.verdict import failed, passed

SOURCE = "data"
COPY = SOURCE + "-备份"
FILES = 20
PID = re.compile(r"\bPID\s*[=:]?\s*(\d+)", re.I)


def make_files(folder: Path) -> dict[str, str]:
    """Write the files to copy into `folder`; their sha256 by name."""
    folder.mkdir()
    names = [f"f{i:02d}.bin" for i in range(FILES - 2)] + ["empty.txt", "进程池.txt"]
    digests = {}
    for number, name in enumerate(names):
        size = 0 if name == "empty.txt" else int.from_bytes(os.urandom(3)) % 1_000_000 + number
        data = os.urandom(size)
        (folder / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def parse_sums(text: str) -> dict[str, str]:
    """sha256sum's lines (`digest  name`): digest by name."""
    sums = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if name and len(digest) == 64:
            sums[name] = digest
    return sums


def copy_problems(expected: dict[str, str], copied: dict[str, str] | None) -> list[str]:
    """What is wrong with the copy ([] if it is whole)."""
    if copied is None:
        return [f"there is no folder {COPY}"]
    missing = sorted(set(expected) - set(copied))
    differ = sorted(n for n in set(expected) & set(copied) if copied[n] != expected[n])
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(expected)} files missing: {', '.join(missing[:5])}")
    if differ:
        problems.append(f"{len(differ)} files differ from the original (cut short?): {', '.join(differ[:5])}")
    return problems


def check(run: Checkup, program):
    with tempfile.TemporaryDirectory() as scratch:
        expected = make_files(Path(scratch) / SOURCE)
        prog = run.start(program, stdin=SOURCE + "\n", files=Path(scratch), watch=True)
    code = prog.wait_exit(20)
    if code is None:
        prog.stop()
    snapshots = prog.snapshots()
    if code not in (0, None):  # a crash first: what follows would only fail with it
        yield failed(f"程序以状态 {code} 退出", f"the program exited with status {code}",
                     "看下面的错误输出（先 close() 再 join()）", "read its error output below (close() before join())",
                     prog.crash_detail(), key="ends")
        return
    result = prog.host.sh(f"cd {WORKDIR}/{COPY} && sha256sum -- * 2>/dev/null; true", timeout=run.bound(15))
    listed = prog.host.sh(f"test -d {WORKDIR}/{COPY}", timeout=run.bound(10)).exit_code == 0
    problems = copy_problems(expected, parse_sums(result.stdout) if listed else None)
    if not problems:
        yield passed(f"{COPY} 里 {len(expected)} 个文件都在，每个字节都和原文件一样",
                     f"{COPY} holds all {len(expected)} files, each byte for byte the same", key="copy")
    else:
        yield failed(f"{COPY} 不是 {SOURCE} 的完整拷贝", f"{COPY} is not a whole copy of {SOURCE}",
                     "加完事件后 pool.close()，再 pool.join() 等所有拷贝完成，父进程才能结束；"
                     "每个文件读到 b'' 为止",
                     "after adding the jobs, pool.close() then pool.join(): the parent must wait for every "
                     "copy; read each file until b''", "\n".join(problems), key="copy")

    root = root_pid(snapshots) or prog.pid()
    seen = children_seen(snapshots)
    at_once = most_at_once(snapshots)
    printed = {int(pid) for pid in PID.findall(prog.output())}
    if at_once < 2:
        problem = f"at most {at_once} child processes of the program at a time"
    elif root in printed:
        problem = f"a copy printed PID={root}: the parent's own PID, so the parent copied it"
    elif not printed <= set(seen):
        problem = f"printed PIDs {sorted(printed - set(seen))} were never seen as children of the program"
    else:
        problem = ""
    if not problem:
        yield passed(f"{at_once} 个进程池里的进程同时存在，拷贝由它们完成",
                     f"{at_once} pool processes existed at once and did the copying", key="workers")
    else:
        yield failed("拷贝不是由进程池里的多个进程完成的", "the copying was not done by the processes of a pool",
                     "pool = Pool(4)，每个文件 pool.apply_async(func=copy, args=(...))",
                     "pool = Pool(4), then pool.apply_async(func=copy, args=(...)) for each file",
                     problem, key="workers")

    if code == 0:
        yield passed("程序正常结束", "the program ended by itself, status 0", key="ends")
    else:
        yield failed("程序在 20 秒内没有结束", "the program did not end within 20 s",
                     "pool.close() 之后 pool.join() 才会返回", "pool.join() returns only after pool.close()",
                     tail(prog.output(), 3), key="ends")
