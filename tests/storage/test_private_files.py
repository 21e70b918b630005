"""Issue 14, finding 2: the data folder is 0700 and the database, its WAL and SHM, the lock, the server key
and the credentials are 0600, whatever the umask the server runs under."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from faceprint.cli._cmd_admin import ensure_first_app
from faceprint.secrets import load_server_key
from faceprint.settings import Settings
from faceprint.storage.base import NewFeature
from faceprint.storage.factory import open_store


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o000)  # the worst case: every file would be 0666 / 0777
    try:
        yield
    finally:
        os.umask(old)


def test_store_files_private_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, model_dir=tmp_path / "no-models")
    store = open_store(settings)
    try:
        ensure_first_app(store, settings, "http://127.0.0.1:1")
        app = store.create_app("a", 100)
        db = store.create_database(app.app_id, "n", "", 10, "sface:v1")
        vec = np.ones(128, np.float32) / np.sqrt(128)
        store.add_features(app.app_id, db.db_id, [NewFeature(vec, "k", "x")], "sface:v1")
        load_server_key(settings)
        names = {p.name: _mode(p) for p in data.iterdir()}
        assert _mode(data) == 0o700
        for name in ("faceprint.db", "faceprint.db-wal", "faceprint.db-shm", "faceprint.db.lock",
                     "server.key", "credentials.json"):
            assert names.get(name) == 0o600, (name, names)
        assert all(m & 0o077 == 0 for m in names.values()), names
    finally:
        store.close()


def test_old_readable_files_are_tightened_on_open(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, model_dir=tmp_path / "no-models")
    open_store(settings).close()
    os.chmod(data, 0o755)
    os.chmod(data / "faceprint.db", 0o644)
    store = open_store(settings)
    try:
        store.create_app("a", 1)
        assert _mode(data) == 0o700
        assert _mode(data / "faceprint.db") == 0o600
        assert _mode(data / "faceprint.db-wal") == 0o600
    finally:
        store.close()
