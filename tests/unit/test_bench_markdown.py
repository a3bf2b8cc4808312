"""BENCHMARKS.md is prose by hand with generated blocks: regenerating touches only the marked lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from socketlab.bench import markdown, report
from socketlab.bench.model import CaseResult
from socketlab.errors import LabError
from socketlab.settings import REPO_ROOT

from .test_bench_report import sample_results


def document(results: list[CaseResult] | None = None) -> dict:
    return report.results_document(results or sample_results(), {"cpu_model": "test CPU", "cores": 2},
                                   {"repetitions": 3, "server_cpuset": "0", "load_cpuset": "1"})


def test_fill_replaces_only_the_bodies_of_named_blocks() -> None:
    text = ("# Title\n\nprose before\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\nprose between\n"
            "<!-- bench:b -->\nold b\n<!-- /bench:b -->\nprose after\n")
    filled = markdown.fill(text, {"a": "new a\nsecond line", "c": "no place for it"})
    assert filled == text.replace("old a", "new a\nsecond line")
    assert markdown.fill(filled, {"a": "new a\nsecond line"}) == filled  # idempotent
    assert markdown.block_names(text) == ["a", "b"]


def test_regenerating_the_real_benchmarks_md_keeps_every_line_of_prose(tmp_path: Path) -> None:
    """Edit the prose of BENCHMARKS.md, regenerate: the edits stay, and only marked blocks differ."""
    page = tmp_path / "BENCHMARKS.md"
    shutil.copy(REPO_ROOT / "BENCHMARKS.md", page)
    original = page.read_text(encoding="utf-8")
    names = markdown.block_names(original)
    assert {"machine", "targets", "echo-cost", "echo-throughput", "echo-idle", "echo-c10k"} <= set(names)
    edited = original.replace("\n## ", "\n## (edited) ", 2) + "\nA closing remark by hand.\n"
    page.write_text(edited, encoding="utf-8")

    unplaced = markdown.write_benchmarks_md(document(), page, tmp_path / "plots")
    after = page.read_text(encoding="utf-8")

    assert unplaced == []
    assert markdown.fill(after, {}) == after
    outside = markdown.BLOCK.sub(lambda m: m["open"] + m["close"], after)
    assert outside == markdown.BLOCK.sub(lambda m: m["open"] + m["close"], edited)  # prose untouched
    assert after != edited
    assert "| c-epoll | 2.0 (2.0–2.0) | 1.0× |" in after or "| c-epoll | 2.0 | 1.0× |" in after
    assert "| epoll | 6.0 | 3.0× |" in after
    assert "0.90 client-bound" in after
    assert "(plots/echo-server-cpu-per-request.png)" in after


def test_a_suite_that_did_not_run_keeps_its_old_table(tmp_path: Path) -> None:
    page = tmp_path / "BENCHMARKS.md"
    page.write_text("<!-- bench:web-table -->\nthe last web run\n<!-- /bench:web-table -->\n"
                    "<!-- bench:echo-cost -->\n<!-- /bench:echo-cost -->\n", encoding="utf-8")
    markdown.write_benchmarks_md(document(), page, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "the last web run" in text and "| epoll |" in text


def test_a_missing_page_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(LabError, match=r"cannot read .*BENCHMARKS\.md"):
        markdown.write_benchmarks_md(document(), tmp_path / "BENCHMARKS.md", tmp_path)
