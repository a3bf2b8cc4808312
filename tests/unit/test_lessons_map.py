"""The lessons' maps: every lesson folder is linked, in Chinese and in English, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from socketlab.lessons.catalog import LESSONS_ROOT, all_lessons
from socketlab.settings import REPO_ROOT

MAP = LESSONS_ROOT / "README.md"
ZH_README = REPO_ROOT / "README.zh-CN.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def relative_links(markdown: Path) -> list[str]:
    links = [link for link in LINK.findall(markdown.read_text(encoding="utf-8"))
             if not re.match(r"^[a-z]+:", link) and not link.startswith("#")]
    return [unquote(link.split("#")[0]) for link in links]


def documents() -> list[Path]:
    return [MAP, ZH_README, *(lesson.folder / "README.md" for lesson in all_lessons())]


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    broken = [link for link in relative_links(document) if not (document.parent / link).exists()]
    assert not broken, f"{document.relative_to(REPO_ROOT)} links to missing paths: {broken}"


def test_the_map_links_every_lesson_folder_in_both_languages() -> None:
    text = MAP.read_text(encoding="utf-8")
    chinese, _, english = text.partition('<a id="english"></a>')
    assert english, "the map has no English part (after <a id=\"english\"></a>)"
    for lesson in all_lessons():
        for part, language in ((chinese, "Chinese"), (english, "English")):
            targets = {(MAP.parent / link).resolve() for link in LINK.findall(part)}
            assert lesson.folder.resolve() in targets, f"the {language} map does not link {lesson.folder.name}/"


def test_every_lesson_folder_is_a_lesson() -> None:
    folders = {p.parent for p in LESSONS_ROOT.glob("*/README.md")} | {p for p in LESSONS_ROOT.iterdir() if p.is_dir()}
    lessons = {lesson.folder for lesson in all_lessons()}
    assert folders <= lessons, f"folders without lesson.toml: {sorted(str(f.name) for f in folders - lessons)}"


def test_lesson_readmes_are_chinese_first_then_english() -> None:
    for lesson in all_lessons():
        text = (lesson.folder / "README.md").read_text(encoding="utf-8")
        first_heading = text.splitlines()[0]
        assert re.search(r"[\u4e00-\u9fff]", first_heading), f"{lesson.id}: the README starts in Chinese"
        assert '<a id="english"></a>' in text, f"{lesson.id}: the README has an English part"
        assert f"socketlab lesson check {lesson.id}" in text, f"{lesson.id}: the README says how to check"


def test_both_readmes_give_the_same_two_commands() -> None:
    zh = ZH_README.read_text(encoding="utf-8")
    assert "(README.md)" in zh, "README.zh-CN.md links back to README.md"
    for command in ("make up", "make test"):
        assert command in zh
        assert command in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
