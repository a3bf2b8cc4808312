"""The lessons on disk: one folder per section of the notes, described by its lesson.toml.

A lesson folder is found by its lesson.toml, so adding a folder adds a
lesson to `socketlab lesson list`, to `lesson check` and to the tests,
with no list to edit anywhere.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..errors import UsageError
from ..settings import REPO_ROOT

LESSONS_ROOT = REPO_ROOT / "lessons"
KINDS = ("server", "client", "program")


@dataclass(frozen=True)
class WrongProgram:
    """A typical mistake the lesson's checker must fail, and why it is wrong.

    `fails` names the verdict keys that must come out failed for it (empty:
    any failure will do, which the tests accept only with a reason).
    """

    file: str
    why_zh: str
    why_en: str
    fails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lesson:
    id: str
    section: str
    title_zh: str
    title_en: str
    reference: str
    kind: str
    folder: Path
    service: str = ""
    timeout: float = 60.0   # the whole check's bound, in seconds
    alone: bool = False     # measures time: run it with nothing else on the machine
    wrong: tuple[WrongProgram, ...] = field(default_factory=tuple)

    @property
    def reference_path(self) -> Path:
        return self.folder / self.reference

    @property
    def checker_path(self) -> Path:
        return self.folder / "check.py"

    def wrong_path(self, wrong: WrongProgram) -> Path:
        return self.folder / wrong.file

    def load_checker(self) -> ModuleType:
        """Import the lesson's check.py (a file, not a package: folder names hold dots)."""
        name = "socketlab_lesson_" + re.sub(r"\W", "_", self.id)
        spec = importlib.util.spec_from_file_location(name, self.checker_path)
        if spec is None or spec.loader is None:
            raise UsageError(f"lesson {self.id}: no checker at {self.checker_path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def parse_lesson(text: str, folder: Path) -> Lesson:
    """A Lesson from the text of a lesson.toml (ValueError saying what is missing or wrong)."""
    data = tomllib.loads(text)
    missing = [k for k in ("id", "section", "title_zh", "title_en", "reference", "kind") if not data.get(k)]
    if missing:
        raise ValueError(f"{folder.name}/lesson.toml lacks {', '.join(missing)}")
    if data["kind"] not in KINDS:
        raise ValueError(f"{folder.name}/lesson.toml: kind {data['kind']!r} is not one of {', '.join(KINDS)}")
    wrong = []
    for entry in data.get("wrong", []):
        if not entry.get("file"):
            raise ValueError(f"{folder.name}/lesson.toml: a [[wrong]] entry has no file")
        fails = entry.get("fails", ())
        wrong.append(WrongProgram(entry["file"], entry.get("why_zh", ""), entry.get("why_en", ""),
                                  (fails,) if isinstance(fails, str) else tuple(fails)))
    return Lesson(
        id=data["id"], section=str(data["section"]), title_zh=data["title_zh"], title_en=data["title_en"],
        reference=data["reference"], kind=data["kind"], folder=folder, service=data.get("service", ""),
        timeout=float(data.get("timeout", 60)), alone=bool(data.get("alone", False)), wrong=tuple(wrong),
    )


def section_key(section: str) -> tuple:
    """Sort "1.3.4" after "1.3" and "10.1" after "9.2"; words (e.g. "结语") after numbers."""
    parts = []
    for part in re.split(r"[.\-]", section):
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(parts)


def all_lessons(root: Path = LESSONS_ROOT) -> list[Lesson]:
    """Every lesson under `root`, in the notes' order (section, then id)."""
    lessons = [parse_lesson(toml.read_text(encoding="utf-8"), toml.parent)
               for toml in sorted(root.glob("*/lesson.toml"))]
    return sorted(lessons, key=lambda lesson: (section_key(lesson.section), lesson.id))


def find(id_or_folder: str, root: Path = LESSONS_ROOT) -> Lesson:
    """The lesson with this id or folder name; UsageError listing every id when there is none."""
    lessons = all_lessons(root)
    wanted = id_or_folder.strip().rstrip("/").split("/")[-1]
    for lesson in lessons:
        if wanted in (lesson.id, lesson.folder.name):
            return lesson
    ids = ", ".join(lesson.id for lesson in lessons) or "(none)"
    raise UsageError(f"没有课程 / no lesson {id_or_folder!r}; the lessons are: {ids} (socketlab lesson list)")
