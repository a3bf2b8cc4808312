"""The pure parts of the chapter 1 and chapter 4 checkers."""

from __future__ import annotations

import hashlib
import re

from socketlab.lessons.catalog import find


def checker(lesson_id: str):
    return find(lesson_id).load_checker()


def test_framing_reads_printed_messages_only() -> None:
    printed = checker("1.3.4-framing").printed
    assert printed("收到: 你好\n第二条\n收到: 三 \nother", "收到:") == ["你好", "三"]


def test_framing_server_really_splits_inside_a_character() -> None:
    source = (find("1.3.4-framing").folder / "framing_server.py").read_text(encoding="utf-8")
    line = next(line for line in source.splitlines() if line.startswith("MESSAGES = "))
    scope: dict = {}
    exec(line, scope)
    messages = scope["MESSAGES"]
    data = (messages[3] + "\n").encode()
    cut = int(re.search(r"data\[:(\d+)\]", source).group(1))
    try:
        data[:cut].decode()
    except UnicodeDecodeError:
        pass
    else:
        raise AssertionError("the first piece should end inside a character")


def test_bind_expectations_are_the_notes() -> None:
    expected = checker("1.1.3-bind").EXPECTED
    assert expected == {"loopback": (1, 0, 0), "ip": (0, 1, 1), "any": (1, 1, 1)}


def test_http_checker_and_its_server_agree_on_the_body() -> None:
    module = checker("4.1-http")
    line = next(line for line in module.SERVER.splitlines() if line.startswith("body = "))
    scope: dict = {}
    exec(line, scope)
    assert hashlib.sha256(scope["body"]).digest() == hashlib.sha256(module.body()).digest()
    assert len(module.body()) == 300_000 and len(set(module.body())) == 256   # binary: every byte value
