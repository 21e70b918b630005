"""The ``store`` fixture: every FeatureStore backend, fresh and empty, for the one contract suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faceprint.storage.base import FeatureStore
from faceprint.storage.sqlite_store import SqliteStore

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FeatureStore]:
    """A fresh, empty store of each backend. The PostgreSQL one comes from ``tests/storage/pg_support.py``
    and skips with the reason when that module or a server is unavailable."""
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "faceprint.db")
        try:
            yield s
        finally:
            s.close()
        return
    try:
        from tests.storage.pg_support import make_postgres_store
    except ImportError as e:
        pytest.skip(f"PostgreSQL backend test support not importable: {e}")
    with make_postgres_store(tmp_path) as pg:
        yield pg
