"""Path jailing: no `..`, absolute path or symlink leads out of the library."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ftpserver.jail import UPLOAD_PREFIX, Jail, JailError


@pytest.fixture
def jail(tmp_path: Path) -> Jail:
    root = tmp_path / "lib"
    (root / "pub" / "deep").mkdir(parents=True)
    (root / "pub" / "a.txt").write_text("a")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "escape-file")
    os.symlink(tmp_path, root / "escape-dir")
    os.symlink("pub/a.txt", root / "inner-link")
    os.symlink("loop", root / "loop")
    return Jail(root)


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "..", "/..", "/../..", "pub/../../secret.txt", "pub/deep/../../..",
    "escape-file", "escape-dir", "escape-dir/secret.txt", "pub/\x00x",
    f"{UPLOAD_PREFIX}abc", "pub/" + UPLOAD_PREFIX,
])
def test_traversal_vectors_are_refused(jail: Jail, name: str) -> None:
    with pytest.raises(JailError):
        jail.resolve("/", name)


@pytest.mark.parametrize(("cwd", "name", "expected"), [
    ("/", "pub/a.txt", "/pub/a.txt"),
    ("/pub", "a.txt", "/pub/a.txt"),
    ("/pub", "/pub/a.txt", "/pub/a.txt"),
    ("/pub/deep", "../a.txt", "/pub/a.txt"),
    ("/pub", "./deep/./", "/pub/deep"),
    ("/", "//pub//a.txt", "/pub/a.txt"),
    ("/pub", "..", "/"),
])
def test_paths_inside_resolve(jail: Jail, cwd: str, name: str, expected: str) -> None:
    vpath, real = jail.resolve(cwd, name)
    assert vpath == expected
    assert real == jail.root / expected.lstrip("/")


def test_absolute_paths_are_relative_to_the_library(jail: Jail) -> None:
    _vpath, real = jail.resolve("/", "/etc/passwd")
    assert real == jail.root / "etc" / "passwd"
    assert not real.exists()


def test_symlink_inside_the_library_is_allowed_and_not_followed_for_the_name(jail: Jail) -> None:
    _vpath, real = jail.resolve("/", "inner-link")
    assert real == jail.root / "inner-link"
    assert real.read_text() == "a"


def test_stale_uploads_are_removed_at_start(tmp_path) -> None:
    from ftpserver.jail import UPLOAD_PREFIX, remove_stale_uploads

    (tmp_path / "pub").mkdir()
    (tmp_path / "keep.bin").write_bytes(b"x")
    (tmp_path / "pub" / f"{UPLOAD_PREFIX}abc").write_bytes(b"half")
    assert [p.name for p in remove_stale_uploads(tmp_path)] == [f"{UPLOAD_PREFIX}abc"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["keep.bin", "pub"]
