"""One line per expectation: what a checker found, in Chinese and English.

A verdict is data (passed or not, the sentence in both languages, a hint
for a failure, a detail such as the program's last stderr lines); `render`
turns a list of them into terminal lines that fit 80 columns, counting a
Chinese character as two columns, as terminals draw them. Pure: no Docker.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WIDTH = 80
PASS_MARK = "✓"
FAIL_MARK = "✗"


@dataclass(frozen=True)
class Verdict:
    """One expectation of a lesson, checked.

    `key` names the expectation (e.g. "reuseaddr") so a lesson's wrong
    programs can say which expectation they must fail, not merely that
    something failed.
    """

    passed: bool
    zh: str
    en: str
    hint_zh: str = ""
    hint_en: str = ""
    detail: str = ""
    key: str = ""


def passed(zh: str, en: str, key: str = "", detail: str = "") -> Verdict:
    return Verdict(True, zh, en, detail=detail, key=key)


def failed(zh: str, en: str, hint_zh: str = "", hint_en: str = "", detail: str = "", key: str = "") -> Verdict:
    return Verdict(False, zh, en, hint_zh, hint_en, detail, key)


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """0 if every expectation passed (and there was at least one), 1 otherwise."""
    verdicts = list(verdicts)
    return 0 if verdicts and all(v.passed for v in verdicts) else 1


def columns(text: str) -> int:
    """Terminal columns of `text`: wide (CJK) characters take two."""
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap one paragraph to `width` columns; continuation lines start with `indent`.

    Leading spaces of the first line are kept. Latin words break at spaces
    (a word longer than a line is cut); Chinese text may break between any
    two characters, as it is written.
    """
    body = text.lstrip(" ")
    lines: list[str] = []
    line, used, empty = text[: len(text) - len(body)], len(text) - len(body), True

    def new_line() -> None:
        nonlocal line, used, empty
        lines.append(line.rstrip())
        line, used, empty = indent, columns(indent), True

    for token in _tokens(body):
        size = columns(token)
        if token == " ":
            if not empty and used < width:
                line, used = line + " ", used + 1
            continue
        if used + size > width and not empty:
            new_line()
        while used + size > width:  # longer than a whole line: cut it
            head, token = _cut(token, max(1, width - used))
            line += head
            new_line()
            size = columns(token)
        line, used, empty = line + token, used + size, False
    lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words, single spaces, and single wide characters (each a break opportunity)."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or _char_width(ch) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def _cut(token: str, room: int) -> tuple[str, str]:
    """The head of `token` that fits `room` columns (at least one character), and the rest."""
    used = 0
    for i, ch in enumerate(token):
        used += _char_width(ch)
        if used > room:
            i = max(i, 1)
            return token[:i], token[i:]
    return token, ""


def render(verdicts: Iterable[Verdict], width: int = WIDTH) -> list[str]:
    """The lines a learner reads: ✓/✗, Chinese then English, hint and detail on failure."""
    lines: list[str] = []
    for verdict in verdicts:
        lines += render_one(verdict, width)
    return lines


def render_one(verdict: Verdict, width: int = WIDTH) -> list[str]:
    mark = PASS_MARK if verdict.passed else FAIL_MARK
    lines = wrap(f"{mark} {verdict.zh}", width, "  ")
    lines += wrap(f"  {verdict.en}", width, "  ")
    if not verdict.passed:
        if verdict.hint_zh:
            lines += wrap(f"  提示：{verdict.hint_zh}", width, "        ")
        if verdict.hint_en:
            lines += wrap(f"  hint: {verdict.hint_en}", width, "        ")
    if verdict.detail:
        for raw in verdict.detail.rstrip("\n").splitlines()[-8:]:
            lines += wrap(f"    | {raw.expandtabs(4)}", width, "    | ")
    return lines


def summary(verdicts: Iterable[Verdict]) -> str:
    """The last line: how many expectations passed, in both languages."""
    verdicts = list(verdicts)
    good = sum(v.passed for v in verdicts)
    if verdicts and good == len(verdicts):
        return f"全部通过 {good}/{len(verdicts)} · all {good} passed"
    return f"未通过 {len(verdicts) - good}/{len(verdicts)} · {len(verdicts) - good} of {len(verdicts)} failed"
