"""Private files: Faceprint's data folder is 0700 and every file in it that holds descriptors, keys or
credentials is 0600, whatever the process umask (a umask only removes bits, so each path is also chmod-ed).

SQLite creates its ``-wal`` and ``-shm`` files with the mode of the database file, so a database file made
0600 here before SQLite first opens it keeps its companions private too; :func:`tighten` is called again
after opening for files an older version left readable.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "tighten"]

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def _chmod(path: Path, mode: int) -> None:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("cannot make %s private (mode %o): not its owner", path, mode)


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created; ``path`` itself made 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing, in a private folder, and made 0600 (its content kept)."""
    path = Path(path)
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _chmod(path, FILE_MODE)
    return path


def tighten(*paths: Path) -> None:
    """Each of ``paths`` that exists made 0600."""
    for p in paths:
        _chmod(Path(p), FILE_MODE)
