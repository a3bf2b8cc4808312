"""`socketlab lesson list` and `socketlab lesson check ID [FILE.py]`.

`check` runs FILE (by default the lesson's reference program) through the
lesson's checker on the running lab and prints one verdict per expectation
as it comes, Chinese then English, with a hint under each failure; the
exit status is 1 if anything failed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import UsageError
from ..lab import Lab
from ..settings import LabSettings
from .catalog import Lesson, all_lessons, find
from .kit import Checkup, HostPool, run_checker
from .verdict import WIDTH, Verdict, columns, exit_code, render_one, summary, wrap


def list_lines(lessons: list[Lesson], width: int = WIDTH) -> list[str]:
    """Two lines a lesson: id and Chinese title, then the English title under it."""
    id_width = max([len(lesson.id) for lesson in lessons] + [8]) + 2
    lines = [f"{'课程 id':<{id_width - 1}}标题 title"]
    for lesson in lessons:
        lines += wrap(f"{lesson.id:<{id_width}}{lesson.title_zh}", width, " " * id_width)
        lines += wrap(" " * id_width + lesson.title_en, width, " " * id_width)
    lines.append("")
    lines += wrap("检查你的程序 / check your program:  socketlab lesson check ID [FILE.py]", width)
    return lines


def cmd_list(_settings: LabSettings, _args: argparse.Namespace) -> int:
    lessons = all_lessons()
    if not lessons:
        print("还没有课程 / no lessons yet")
        return 1
    for line in list_lines(lessons):
        print(line)
    return 0


def check_program(lesson: Lesson, program: Path, lab: Lab, timeout: float | None = None,
                  label: str | None = None, pool: HostPool | None = None):
    """The verdicts of `lesson`'s checker on `program` (a generator: each one as soon as it is known)."""
    checker = lesson.load_checker()
    checkup = Checkup(lab, timeout=timeout or lesson.timeout, label=label or f"lesson {lesson.id}", pool=pool)
    return run_checker(checker.check, checkup, program)


def cmd_check(settings: LabSettings, args: argparse.Namespace) -> int:
    lesson = find(args.lesson)
    program = Path(args.file) if args.file else lesson.reference_path
    if not program.is_file():
        raise UsageError(f"没有这个文件 / no such file: {program}")
    if program.suffix != ".py":
        raise UsageError(f"{program} is not a Python file (.py)")
    lab = Lab(settings)
    lab.require_network("public")
    which = "参考程序 / the reference" if not args.file else "你的程序 / your program"
    for line in wrap(f"{lesson.section} {lesson.title_zh}", WIDTH) + wrap(lesson.title_en, WIDTH):
        print(line)
    print(f"检查 checking {program.name} ({which}), 最多 at most {lesson.timeout:g} s")
    print("─" * min(WIDTH, columns(f"检查 checking {program.name} ({which})")))
    started = time.monotonic()
    verdicts: list[Verdict] = []
    results = check_program(lesson, program, lab)
    try:  # Ctrl-C closes the generator, which removes the check's hosts
        for verdict in results:
            verdicts.append(verdict)
            for line in render_one(verdict):
                print(line, flush=True)
    finally:
        results.close()
    print(f"{summary(verdicts)} ({time.monotonic() - started:.1f} s)")
    return exit_code(verdicts)


def register(sub: argparse._SubParsersAction) -> None:
    lesson = sub.add_parser("lesson", help="the lessons: list them, check your program against one",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = lesson.add_subparsers(dest="lesson_command", required=True)
    actions.add_parser("list", help="every lesson: id, section, title (中文 / English)").set_defaults(func=cmd_list)
    check = actions.add_parser("check", help="run FILE.py (default: the lesson's reference) through its checker",
                               description="example: socketlab lesson check 1.3-tcp my_server.py")
    check.add_argument("lesson", help="a lesson id (socketlab lesson list), e.g. 1.3-tcp")
    check.add_argument("file", nargs="?", help="your program (default: the lesson's reference)")
    check.set_defaults(func=cmd_check)

