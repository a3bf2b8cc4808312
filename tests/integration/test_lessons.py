"""Every lesson's checker, on the test lab: the reference passes, each typical wrong program fails
the expectations its lesson.toml names.

Lessons are discovered from lessons/*/lesson.toml, so a new lesson folder is tested with no
edit here. The selected checks run in one module fixture: concurrently in a thread pool (each
check owns its program hosts; driver hosts come from a shared pool), then the lessons marked
`alone` (they measure time) one by one with nothing else running.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from socketlab.lessons.catalog import Lesson, WrongProgram, all_lessons
from socketlab.lessons.cli import check_program
from socketlab.lessons.kit import HostPool
from socketlab.lessons.verdict import WIDTH, Verdict, columns, failed, render

from .lab import ComposeLab

WORKERS = 6
LESSONS = all_lessons()
CASES = [(lesson, None) for lesson in LESSONS] + [(lesson, wrong) for lesson in LESSONS for wrong in lesson.wrong]


def case_id(case: tuple[Lesson, WrongProgram | None]) -> str:
    lesson, wrong = case
    return f"{lesson.id}:{wrong.file if wrong else 'reference'}"


def _run_case(lab: ComposeLab, pool: HostPool, case) -> tuple[list[Verdict], float]:
    lesson, wrong = case
    program: Path = lesson.wrong_path(wrong) if wrong else lesson.reference_path
    started = time.monotonic()
    try:
        verdicts = list(check_program(lesson, program, lab, pool=pool, label=f"test {case_id(case)}"))
    except Exception as exc:  # one broken checker must not hide every other lesson's result
        verdicts = [failed("检查程序无法运行", "the checker could not run", detail=repr(exc), key="checker")]
    return verdicts, time.monotonic() - started


@pytest.fixture(scope="module")
def lesson_results(lab: ComposeLab, request: pytest.FixtureRequest) -> dict[str, tuple[list[Verdict], float]]:
    """The verdicts of every case selected in this session, keyed by case id."""
    selected = {item.callspec.id for item in request.session.items
                if item.originalname == "test_lesson_check" and hasattr(item, "callspec")}
    cases = [case for case in CASES if case_id(case) in selected]
    pool = HostPool(lab, label="test lesson driver")
    results: dict[str, tuple[list[Verdict], float]] = {}
    try:
        together = [case for case in cases if not case[0].alone]
        with ThreadPoolExecutor(WORKERS) as executor:
            for case, result in zip(together, executor.map(lambda c: _run_case(lab, pool, c), together),
                                    strict=True):
                results[case_id(case)] = result
        for case in cases:
            if case[0].alone:
                results[case_id(case)] = _run_case(lab, pool, case)
    finally:
        pool.close()
    return results


def _shown(verdicts: list[Verdict]) -> str:
    return "\n".join(render(verdicts))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_lesson_check(lesson_results, case) -> None:
    lesson, wrong = case
    verdicts, seconds = lesson_results[case_id(case)]
    assert verdicts, "the checker yielded no verdict"
    assert all(columns(line) <= WIDTH for line in render(verdicts)), _shown(verdicts)
    assert seconds <= lesson.timeout + 20, f"the check took {seconds:.0f} s, over its bound of {lesson.timeout:g} s"
    if wrong is None:
        assert all(v.passed for v in verdicts), f"the reference of {lesson.id} fails:\n{_shown(verdicts)}"
        return
    assert wrong.fails, f"{lesson.id}: [[wrong]] {wrong.file} must name the verdict key(s) it fails (fails = ...)"
    failed_keys = {v.key for v in verdicts if not v.passed}
    assert not failed_keys & {"checker", "timeout"}, f"{wrong.file}: the checker did not finish:\n{_shown(verdicts)}"
    missing = set(wrong.fails) - failed_keys
    assert not missing, (f"{wrong.file} should fail {sorted(missing)}, failed {sorted(failed_keys)}:\n"
                         f"{_shown(verdicts)}")
