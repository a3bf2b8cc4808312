"""The lessons framework's pure parts: verdict rendering, the catalog, `socketlab run`'s arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from socketlab.errors import UsageError
from socketlab.hosts import ExecResult
from socketlab.lessons.catalog import all_lessons, find, parse_lesson, section_key
from socketlab.lessons.cli import list_lines
from socketlab.lessons.kit import descendants, parse_json, parse_ps, parse_snapshots
from socketlab.lessons.verdict import Verdict, columns, exit_code, failed, passed, render, summary, wrap
from socketlab.run import program_location, run_command, split_run_args
from socketlab.settings import LabSettings

LONG_ZH = "客户端退出时 recv 返回空字节串，要跳出循环，关闭连接套接字，回到 accept 等待下一个客户端" * 2
LONG_EN = "when the client leaves recv returns b'': break out of the loop, close connfd, go back to accept() " * 2


def test_columns_count_chinese_as_two() -> None:
    assert columns("abc") == 3
    assert columns("你好") == 4
    assert columns("✓ ok") == 4


@pytest.mark.parametrize("width", [40, 80])
def test_every_rendered_line_fits(width: int) -> None:
    verdicts = [passed(LONG_ZH, LONG_EN, key="a"),
                failed(LONG_ZH, LONG_EN, LONG_ZH, LONG_EN, "x" * 200 + "\n" + LONG_ZH, key="b")]
    lines = render(verdicts, width)
    assert all(columns(line) <= width for line in lines), [(columns(x), x) for x in lines if columns(x) > width]
    text = "".join(lines).replace(" ", "")
    assert LONG_ZH.replace(" ", "") in text.replace("提示：", "") or "跳出循环" in text  # nothing dropped


def test_render_shows_marks_hints_only_on_failure_and_zh_first() -> None:
    good, bad = passed("通过", "passed"), failed("失败", "failed", "改一下", "change it", "Traceback: boom")
    lines = render([good, bad])
    assert lines[0] == "✓ 通过" and lines[1] == "  passed"
    assert lines[2] == "✗ 失败" and lines[3] == "  failed"
    assert "提示：改一下" in lines[4] and "hint: change it" in lines[5]
    assert "Traceback: boom" in lines[6]
    assert not any("提示" in line for line in render([passed("通过", "passed")]))


def test_wrap_keeps_words_and_indents_continuations() -> None:
    lines = wrap("  " + "word " * 30, 30, "  ")
    assert all(columns(line) <= 30 for line in lines)
    assert all(line.startswith("  word") for line in lines)
    assert wrap("", 80) == [""]


def test_exit_code_and_summary() -> None:
    assert exit_code([passed("a", "a")]) == 0
    assert exit_code([passed("a", "a"), failed("b", "b")]) == 1
    assert exit_code([]) == 1
    assert "1/2" in summary([passed("a", "a"), failed("b", "b")])
    assert "2/2" in summary([passed("a", "a"), passed("b", "b")])


TOML = """
id = "9.9-demo"
section = "9.9"
title_zh = "演示"
title_en = "demo"
reference = "demo.py"
kind = "server"
timeout = 12

[[wrong]]
file = "wrong/a.py"
why_zh = "错"
why_en = "wrong"
fails = "listen"

[[wrong]]
file = "wrong/b.py"
fails = ["reply", "eof"]
"""


def test_parse_lesson_reads_every_field() -> None:
    lesson = parse_lesson(TOML, Path("/x/9.9-demo"))
    assert (lesson.id, lesson.section, lesson.kind, lesson.timeout, lesson.alone) == ("9.9-demo", "9.9", "server",
                                                                                        12.0, False)
    assert lesson.reference_path == Path("/x/9.9-demo/demo.py")
    assert [w.fails for w in lesson.wrong] == [("listen",), ("reply", "eof")]


@pytest.mark.parametrize("broken, message", [
    (TOML.replace('kind = "server"', 'kind = "daemon"'), "kind"),
    (TOML.replace('title_en = "demo"\n', ""), "title_en"),
])
def test_parse_lesson_says_what_is_wrong(broken: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_lesson(broken, Path("/x/9.9-demo"))


def test_sections_sort_in_the_notes_order() -> None:
    sections = ["3.3", "1.3.4", "10.1", "1.3", "1.1.3", "结语", "2.2.5"]
    assert sorted(sections, key=section_key) == ["1.1.3", "1.3", "1.3.4", "2.2.5", "3.3", "10.1", "结语"]


def test_find_by_id_or_folder_and_unknown_lists_the_ids() -> None:
    lessons = all_lessons()
    assert lessons, "no lesson found under lessons/"
    first = lessons[0]
    assert find(first.id) == first
    assert find(f"lessons/{first.folder.name}/") == first
    with pytest.raises(UsageError) as caught:
        find("no-such-lesson")
    assert first.id in str(caught.value)


def test_every_lesson_folder_is_complete() -> None:
    for lesson in all_lessons():
        assert lesson.folder.name == lesson.id, f"{lesson.folder}: the folder is named after the id"
        assert lesson.reference_path.is_file(), lesson.reference_path
        assert lesson.checker_path.is_file(), lesson.checker_path
        assert (lesson.folder / "README.md").is_file(), f"{lesson.id} has no README.md"
        assert hasattr(lesson.load_checker(), "check"), f"{lesson.id}/check.py has no check()"
        for wrong in lesson.wrong:
            assert lesson.wrong_path(wrong).is_file(), lesson.wrong_path(wrong)
            assert wrong.fails, f"{lesson.id}: {wrong.file} names no verdict key it must fail"


def test_lesson_list_fits_80_columns() -> None:
    assert all(columns(line) <= 80 for line in list_lines(all_lessons()))


def test_ps_rows_and_descendants() -> None:
    table = parse_ps("    1     0 Ss       1 /sbin/docker-init -- sleep infinity\n"
                     "   10     0 S        1 python3 -u /work/server.py\n"
                     "   11    10 S        3 python3 -u /work/server.py\n"
                     "   12    11 Z        1 [python3] <defunct>\n"
                     "   20     1 S        1 sleep infinity\n")
    assert [p.pid for p in descendants(table, 10)] == [10, 11, 12]
    assert table[2].threads == 3 and table[3].stat == "Z"


def test_snapshots_of_a_family_report() -> None:
    report = {"root": 10, "snapshots": [[[10, 0, "S", 1]], [[10, 0, "S", 1], [11, 10, "S", 1], [12, 10, "Z", 1]], []]}
    snapshots = parse_snapshots(report)
    assert [[p.pid for p in tree] for tree in snapshots] == [[10], [10, 11, 12]]
    assert snapshots[1][2].stat == "Z" and snapshots[1][1].ppid == 10
    assert parse_snapshots(None) == [] and parse_snapshots({"root": None, "snapshots": []}) == []


def test_parse_json_takes_the_last_object() -> None:
    assert parse_json(ExecResult(0, 'noise\n{"ok": false}\n{"ok": true}\n', "")) == {"ok": True}
    assert parse_json(ExecResult(1, "", "Traceback")) is None


def test_run_options_anywhere_before_the_double_dash() -> None:
    request = split_run_args(["tcp_client.py", "10.77.1.60", "--ip", "10.77.1.61", "--name=c1"])
    assert (request.file, request.args, request.ip, request.name) == ("tcp_client.py", ["10.77.1.60"],
                                                                      "10.77.1.61", "c1")
    request = split_run_args(["--network", "private", "prog.py", "--", "--ip", "x"])
    assert (request.network, request.args, request.ip) == ("private", ["--ip", "x"], None)
    for bad in (["--network", "lan", "a.py"], ["--name", "Bad Name", "a.py"], [], ["a.py", "--ip"]):
        with pytest.raises(UsageError):
            split_run_args(bad)


def test_run_mounts_the_folder_and_runs_the_file_inside(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert program_location(tmp_path / "sub" / "s.py", tmp_path) == ("/work/sub/s.py", [])
    inside, mounts = program_location(Path("/elsewhere/x.py"), tmp_path)
    assert inside == "/program/x.py" and mounts == ["-v", "/elsewhere:/program:ro"]
    request = split_run_args(["sub/s.py", "arg", "--ip", "10.77.1.60", "--name", "server"])
    argv = run_command(LabSettings(), request, "socketlab-run-server", 60, tmp_path, tty=False)
    assert argv[argv.index("-v") + 1] == f"{tmp_path.resolve()}:/work"
    assert argv[argv.index("-w") + 1] == "/work"
    assert argv[argv.index("--ip") + 1] == "10.77.1.60"
    assert argv[argv.index("--network-alias") + 1] == "server"
    assert argv[-5:] == ["python3", "-m", "socketlab_clients.run_file", "/work/sub/s.py", "arg"]
    assert "-it" not in argv and "-i" in argv


def test_verdict_is_plain_data() -> None:
    verdict = Verdict(False, "错", "wrong", key="k")
    assert (verdict.hint_zh, verdict.detail, verdict.key) == ("", "", "k")
