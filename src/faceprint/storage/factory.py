"""Picks the storage backend from the settings."""

from __future__ import annotations

from faceprint.settings import Settings
from faceprint.storage.base import Store, TenantStore

__all__ = ["open_store", "open_tenant_store"]


def _postgres(url: str) -> Store:
    from faceprint.storage.postgres_store import PostgresStore  # type: ignore[import-not-found,unused-ignore]

    store: Store = PostgresStore(url)
    return store


def _check_scheme(url: str) -> None:
    if url and not url.startswith("postgres"):
        raise ValueError(f"unsupported store_url scheme: {url.split(':', 1)[0]!r} (use '' or postgresql://...)")


def open_store(settings: Settings) -> Store:
    """The store ``settings.store_url`` names: empty for the embedded SQLite store at
    ``settings.data_dir / "faceprint.db"``; ``postgres://`` or ``postgresql://...`` for the PostgreSQL
    backend (imported only then). Raises StoreLocked if another process holds the embedded store, and
    ValueError for a URL of any other scheme."""
    url = settings.store_url.strip()
    _check_scheme(url)
    if not url:
        from faceprint.storage.sqlite_store import SqliteStore

        return SqliteStore(settings.data_dir / "faceprint.db")
    return _postgres(url)


def open_tenant_store(settings: Settings) -> TenantStore:
    """Apps and keys only, for the admin commands: the embedded store's tenant tables open beside a running
    service (no file lock, no index); PostgreSQL serves many processes anyway."""
    url = settings.store_url.strip()
    _check_scheme(url)
    if not url:
        from faceprint.storage.sqlite_tenants import SqliteTenantStore

        return SqliteTenantStore(settings.data_dir / "faceprint.db")
    return _postgres(url)
