"""Picks the storage backend from the settings."""

from __future__ import annotations

from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore

__all__ = ["open_store"]


def open_store(settings: Settings, *, tenants_only: bool = False) -> FeatureStore:
    """The store ``settings.store_url`` names: empty for the embedded SQLite store at
    ``settings.data_dir / "faceprint.db"``; ``postgres://`` or ``postgresql://...`` for the PostgreSQL
    backend (imported only then). Raises StoreLocked if another process holds the embedded store, and
    ValueError for a URL of any other scheme. ``tenants_only``: for managing apps and keys only; the
    embedded store then opens beside a running service (see SqliteStore)."""
    url = settings.store_url.strip()
    if not url:
        from faceprint.storage.sqlite_store import SqliteStore

        return SqliteStore(settings.data_dir / "faceprint.db", tenants_only=tenants_only)
    if url.startswith("postgres"):
        from faceprint.storage.postgres_store import PostgresStore  # type: ignore[import-not-found,unused-ignore]

        store: FeatureStore = PostgresStore(url)
        return store
    raise ValueError(f"unsupported store_url scheme: {url.split(':', 1)[0]!r} (use '' or postgresql://...)")
