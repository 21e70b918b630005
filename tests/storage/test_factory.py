"""open_store picks the backend from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceprint.errors import StoreLocked
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from faceprint.storage.factory import open_store
from faceprint.storage.sqlite_store import SqliteStore


def test_empty_url_opens_the_embedded_store_in_data_dir(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path / "var", store_url=""))
    try:
        assert isinstance(store, SqliteStore) and isinstance(store, FeatureStore)
        assert store.path == tmp_path / "var" / "faceprint.db" and store.path.exists()
        with pytest.raises(StoreLocked):
            open_store(Settings(data_dir=tmp_path / "var"))
    finally:
        store.close()


def test_postgres_url_opens_the_postgres_backend() -> None:
    pg_support = pytest.importorskip("tests.storage.pg_support")
    with pg_support.fresh_database_url() as url:
        if not url.startswith("postgres"):
            url = "postgresql:///?" + "&".join(url.split())  # a conninfo as a URL
        store = open_store(Settings(store_url=url))
        try:
            assert type(store).__name__ == "PostgresStore"
            assert store.list_apps() == []
        finally:
            store.close()


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        open_store(Settings(store_url="mysql://localhost/x"))
