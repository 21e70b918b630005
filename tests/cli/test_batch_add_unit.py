"""The pieces of `features add` that need no server: keys from names, folder expansion, the journal."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from faceprint.cli._batch_add import Journal, Outcome, expand_paths, journal_path, key_for


def test_keys_from_names_are_valid_mercury_keys(tmp_path: Path) -> None:
    assert key_for(Path("photos/alice-1.jpg"), "filename", "") == "alice-1"
    assert key_for(Path("Jöhn Smith (2).JPG"), "filename", "") == "J-hn-Smith-2"
    assert key_for(Path("x" * 60 + ".png"), "filename", "") == "x" * 48
    (tmp_path / "emp_00123").mkdir()
    assert key_for(tmp_path / "emp_00123" / "a.jpg", "parent", "") == "emp-00123"
    assert key_for(Path("a.jpg"), "filename", "fixed-key") == "fixed-key"
    assert key_for(Path("a.jpg"), "none", "") == ""


def test_folders_expand_to_their_images_sorted(tmp_path: Path) -> None:
    for name in ("b.JPG", "a.png", ".hidden.jpg", "notes.txt", "c.webp"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.jpeg").write_bytes(b"x")
    names = [p.name for p in expand_paths([str(tmp_path)])]
    assert names == ["a.png", "b.JPG", "c.webp"]
    assert [p.name for p in expand_paths([str(tmp_path)], recursive=True)] == ["a.png", "b.JPG", "c.webp", "d.jpeg"]
    assert [p.name for p in expand_paths([str(tmp_path / "notes.txt")])] == ["notes.txt"]  # named: kept
    with pytest.raises(FileNotFoundError):
        expand_paths([str(tmp_path / "missing")])


def test_the_journal_survives_reopening_and_forgets_deleted_features(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = journal_path("db-1")
    assert path == tmp_path / "state" / "faceprint" / "journal" / "db-1.jsonl"
    j = Journal(path)
    j.record([Outcome("a.jpg", "aa", "added", "f1", "alice"), Outcome("b.jpg", "bb", "added", "f2", "bob")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open("a") as f:
        f.write('{"sha256": "cc", "feature')  # a line cut short by a crash is ignored
    again = Journal(path)
    assert again.get("aa") == {"sha256": "aa", "feature_id": "f1", "key": "alice", "path": "a.jpg"}
    assert again.get("cc") is None
    assert again.forget("f1") and not again.forget("f1")
    assert Journal(path).get("aa") is None and Journal(path).get("bb") is not None
