"""``faceprint features add``: a folder of photos into a feature database, 16 per request, resumable.

Resuming: every added file is recorded in a journal, one JSON line per file
(``{"sha256", "feature_id", "key", "path"}``), at ``$XDG_STATE_HOME/faceprint/journal/<db_id>.jsonl``
(``~/.local/state/faceprint/journal/``) unless ``--journal`` names another file. A later run skips every
file whose content (sha256) the journal of that database already holds, wherever the file now lives, so an
interrupted run is simply run again. Photos with the same content in one run are added once. A journal line
is written (and fsync'd) as soon as the server confirms its batch, so an interruption can at worst re-add
the one batch that was in flight. ``faceprint features delete`` and ``db delete`` keep the journal in step.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from faceprint.client import ApiError, Client, NewFeature
from faceprint.errors import InvalidArgument

__all__ = ["IMAGE_SUFFIXES", "Journal", "Outcome", "add_files", "expand_paths", "journal_path", "key_for"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".gif", ".webp"})
_BAD_KEY_CHARS = re.compile(r"[^A-Za-z0-9-]+")


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "faceprint"


def journal_path(db_id: str) -> Path:
    """The default journal of one database."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", db_id)
    return state_dir() / "journal" / f"{safe}.jsonl"


def expand_paths(paths: Iterable[str], recursive: bool = False) -> list[Path]:
    """Files as given, and the image files (by suffix, hidden ones left out) of each folder, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = p.rglob("*") if recursive else p.iterdir()
            out.extend(sorted(f for f in found if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                              and not f.name.startswith(".")))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out


def key_for(path: Path, mode: str, fixed: str) -> str:
    """The feature key: ``fixed`` if given, else from the file name (``filename``: its stem) or its folder
    (``parent``), with characters outside ``A-Za-z0-9-`` turned into ``-``, cut to 48; else ""."""
    if fixed:
        return fixed
    if mode == "filename":
        raw = path.stem
    elif mode == "parent":
        raw = path.resolve().parent.name
    else:
        return ""
    return _BAD_KEY_CHARS.sub("-", raw).strip("-")[:48].strip("-")


@dataclass(slots=True)
class Outcome:
    """What became of one file: ``outcome`` is ``added``, ``skipped`` or ``failed``."""

    path: str
    sha256: str
    outcome: str
    feature_id: str = ""
    key: str = ""
    message: str = ""
    code: int = 0
    internal_code: int = 0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class Journal:
    """The files already added to one database, by content hash (see the module docstring)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, str]] = {}
        if path is not None and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
                    self.entries[entry["sha256"]] = entry

    def get(self, sha256: str) -> dict[str, str] | None:
        return self.entries.get(sha256)

    def record(self, outcomes: list[Outcome]) -> None:
        if self.path is None or not outcomes:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            for o in outcomes:
                entry = {"sha256": o.sha256, "feature_id": o.feature_id, "key": o.key, "path": o.path}
                self.entries[o.sha256] = entry
                f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def forget(self, feature_id: str) -> bool:
        """Drop the entries of a deleted feature; True when there were some."""
        if self.path is None:
            return False
        keep = {s: e for s, e in self.entries.items() if e.get("feature_id") != feature_id}
        if len(keep) == len(self.entries):
            return False
        self.entries = keep
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(e) + "\n" for e in keep.values())
        os.replace(tmp, self.path)
        return True


@dataclass(slots=True)
class _Pending:
    index: int
    path: Path
    sha256: str
    data: bytes
    key: str
    extra_info: str


def _pending(files: list[Path], journal: Journal, force: bool, key_mode: str, key: str, extra_info: str,
             extra_mode: str) -> Iterator[tuple[int, _Pending | Outcome]]:
    seen: dict[str, str] = {}
    for i, path in enumerate(files):
        try:
            data = path.read_bytes()
        except OSError as e:
            yield i, Outcome(str(path), "", "failed", message=f"cannot read: {e.strerror or e}", code=3)
            continue
        sha = hashlib.sha256(data).hexdigest()
        done = None if force else journal.get(sha)
        if done is not None:
            yield i, Outcome(str(path), sha, "skipped", done.get("feature_id", ""), done.get("key", ""),
                             message="already added")
        elif sha in seen:
            yield i, Outcome(str(path), sha, "skipped", message=f"same photo as {seen[sha]}")
        else:
            seen[sha] = str(path)
            info = path.name if extra_mode == "filename" else extra_info
            yield i, _Pending(i, path, sha, data, key_for(path, key_mode, key), info)


def add_files(
    client: Client,
    db_id: str,
    files: list[Path],
    journal: Journal,
    *,
    key_mode: str = "none",
    key: str = "",
    extra_info: str = "",
    extra_mode: str = "none",
    force: bool = False,
    batch_size: int = 16,
    on_outcome: Callable[[Outcome], None] = lambda o: None,
) -> list[Outcome]:
    """Add ``files`` to ``db_id`` in batches of ``batch_size``; every file gets one :class:`Outcome`
    (passed to ``on_outcome`` as soon as it is known; returned in the order of ``files``). A batch refused
    as a whole for a bad argument fails its files and the run goes on; any other error (unknown database,
    auth, server down) propagates."""
    outcomes: list[tuple[int, Outcome]] = []

    def report(index: int, o: Outcome) -> None:
        outcomes.append((index, o))
        on_outcome(o)

    batch: list[_Pending] = []

    def flush() -> None:
        if not batch:
            return
        items = [NewFeature(p.data, p.key, p.extra_info) for p in batch]
        try:
            answer = client.add_features(db_id, items)
        except ApiError as e:
            if not isinstance(e, InvalidArgument):
                raise
            for p in batch:
                report(p.index, Outcome(str(p.path), p.sha256, "failed", key=p.key, message=e.message, code=e.code,
                               internal_code=e.internal_code))
            batch.clear()
            return
        done: list[Outcome] = []
        pairs = answer.items()
        for p, (status, feature) in zip(batch, pairs, strict=False):
            if status.ok and feature is not None:
                done.append(Outcome(str(p.path), p.sha256, "added", feature.feature_id, feature.key or p.key))
            else:
                done.append(Outcome(str(p.path), p.sha256, "failed", key=p.key,
                                    message=status.message or "no result", code=status.code or 13,
                                    internal_code=status.internal_code))
        done += [Outcome(str(p.path), p.sha256, "failed", key=p.key, message="no result", code=13)
                 for p in batch[len(pairs):]]
        journal.record([o for o in done if o.outcome == "added"])  # before anything else can interrupt
        for p, o in zip(batch, done, strict=True):
            report(p.index, o)
        batch.clear()

    for index, item in _pending(files, journal, force, key_mode, key, extra_info, extra_mode):
        if isinstance(item, Outcome):
            report(index, item)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    flush()
    return [o for _, o in sorted(outcomes, key=lambda t: t[0])]
