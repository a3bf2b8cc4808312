"""The pure parts of the chapter 2 process checkers (2.2.x) and of family.py."""

from __future__ import annotations

from pathlib import Path

from socketlab.lessons.catalog import find
from socketlab.lessons.family import children_seen, most_at_once, root_pid
from socketlab.lessons.kit import ProcessInfo


def checker(lesson_id: str):
    return find(lesson_id).load_checker()


def proc(pid: int, ppid: int, stat: str = "S") -> ProcessInfo:
    return ProcessInfo(pid, ppid, stat, 1, "")


def test_family_counts_running_children_at_once_not_zombies_or_grandchildren() -> None:
    snapshots = [[proc(10, 0)],
                 [proc(10, 0), proc(11, 10), proc(12, 10), proc(13, 11)],
                 [proc(10, 0), proc(11, 10, "Z"), proc(12, 10), proc(14, 10)]]
    assert root_pid(snapshots) == 10 and root_pid([]) is None
    assert most_at_once(snapshots) == 2 and most_at_once([]) == 0
    assert set(children_seen(snapshots)) == {11, 12, 14}


def test_process_output_is_read_across_interleaved_lines() -> None:
    read = checker("2.2.2-process").read_output
    # python3 -u writes a print's text and its newline apart: lines of processes interleave
    text = ("守护进程 PID=21w1 开始 PID=22 PPID=20\nw2 开始 PID=23 PPID=20w3 开始 PID=24 PPID=20\n\n\n"
            "w2 结束w1 结束\n\nw3 结束\n全部结束\n")
    printed = read(text)
    assert printed.starts == {"w1": (22, 20), "w2": (23, 20), "w3": (24, 20)}
    assert printed.guard == 21 and set(printed.ends) == {"w1", "w2", "w3"}
    assert checker("2.2.2-process").join_problem(printed) == ""


def test_process_join_and_children_problems() -> None:
    module = checker("2.2.2-process")
    early = module.read_output("w1 开始 PID=22 PPID=20\nw2 开始 PID=23 PPID=20\nw3 开始 PID=24 PPID=20\n"
                               "全部结束\nw1 结束\nw2 结束\nw3 结束\n")
    assert "came before" in module.join_problem(early)
    seen = {22: proc(22, 20), 23: proc(23, 20), 24: proc(24, 20)}
    assert module.children_problem(early, seen, 20, 3) == ""
    assert "at most 1" in module.children_problem(early, seen, 20, 1)
    in_parent = module.read_output("w1 开始 PID=20 PPID=7\nw2 开始 PID=20 PPID=7\nw3 开始 PID=20 PPID=7\n")
    assert "own PID" in module.children_problem(in_parent, {}, 20, 0)
    assert "found 0" in module.children_problem(module.read_output("hello\n"), seen, 20, 3)


def test_zombie_lines_and_children() -> None:
    module = checker("2.2.3-zombie")
    lines = module.printed("w3 PID=13 干完了w1 PID=11 干完了\nw2 PID=12 干完了父进程还在运行\n")
    assert lines == {"w3": 13, "w1": 11, "w2": 12}
    assert module.children_verdict(lines, 10).passed
    assert not module.children_verdict({"w1": 11, "w2": 12}, 10).passed
    assert not module.children_verdict({"w1": 10, "w2": 10, "w3": 10}, 10).passed
    assert not module.children_verdict({"w1": 11, "w2": 11, "w3": 11}, 10).passed


def test_pool_copy_compares_every_file(tmp_path: Path) -> None:
    module = checker("2.2.4-pool")
    expected = module.make_files(tmp_path / "data")
    assert len(expected) == module.FILES and "empty.txt" in expected and "进程池.txt" in expected
    assert len(set(expected.values())) == module.FILES  # random contents: each file its own digest
    assert module.copy_problems(expected, dict(expected)) == []
    assert module.copy_problems(expected, None) == [f"there is no folder {module.COPY}"]
    cut = dict(expected, **{"f00.bin": "0" * 64})
    del cut["f01.bin"]
    problems = module.copy_problems(expected, cut)
    assert "1 of 20 files missing: f01.bin" in problems[0] and "f00.bin" in problems[1]
    digest = "a" * 64
    assert module.parse_sums(f"{digest}  进程池.txt\n{digest}  a b.bin\nsha256sum: x: No such file\n") == {
        "进程池.txt": digest, "a b.bin": digest}


def test_ipc_order_and_roles() -> None:
    module = checker("2.2.5-ipc")
    assert module.order_problem([1, 2, 3], 3) == ""
    assert "no '收到" in module.order_problem([], 3)
    assert "missing 消息2" in module.order_problem([1, 3], 3)
    assert "out of order" in module.order_problem([2, 1, 3], 3)
    assert "twice" in module.order_problem([1, 2, 2, 3], 3)
    assert module.roles_problem({"生产者": 31, "消费者": 32}, 30) == ""
    assert "same PID" in module.roles_problem({"生产者": 31, "消费者": 31}, 30)
    assert "parent's own" in module.roles_problem({"生产者": 30, "消费者": 32}, 30)
    assert "no '消费者" in module.roles_problem({"生产者": 31}, 30)
