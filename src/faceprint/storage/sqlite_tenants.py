"""Apps and access keys in the embedded store's SQLite file: :class:`SqliteTenantStore`, and the connection
plumbing :class:`~faceprint.storage.sqlite_store.SqliteStore` builds on.

Opened alone (what `faceprint apps` and `faceprint keys` do), it takes no file lock and builds no index, so it
opens at once beside a running service; SQLite's own locking orders the writes, and the service sees a new or
revoked key within its key cache's lifetime (``FACEPRINT_KEY_CACHE_SECONDS``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from faceprint.errors import AccessKeyNotFound, AppNotFound, InvalidRequest, TooManyKeys
from faceprint.files import private_file, tighten
from faceprint.storage._rows import APP_COLS, KEY_COLS, row_to_app, row_to_key
from faceprint.storage._sqlite_schema import migrate
from faceprint.storage.base import AccessKey, App, AppUsage
from faceprint.storage.checks import MAX_ACTIVE_KEYS

__all__ = ["SqliteTenantStore"]


class SqliteTenantStore:
    """The :class:`~faceprint.storage.base.TenantStore` of the SQLite file at ``path`` (created and migrated
    if needed)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        private_file(self.path)  # 0600 before SQLite opens it: the -wal and -shm files take its mode
        self._closed = False
        self._write_lock = threading.Lock()
        self._readers: list[sqlite3.Connection] = []  # every reader connection opened
        self._idle: list[sqlite3.Connection] = []  # those not in use now
        self._readers_lock = threading.Lock()
        try:
            self._db = self._connect()
            #: Whether the file held a store already (schema found and brought up to date).
            self._found = migrate(self._db)
            tighten(self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm", ".lock")))
        except BaseException:
            self.close()
            raise

    # -- plumbing ------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A reader connection for one call: pooled, so there are as many as concurrent readers, no more."""
        if self._closed:
            raise RuntimeError("the store is closed")
        with self._readers_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            with self._readers_lock:
                self._readers.append(conn)
        try:
            yield conn
        finally:
            with self._readers_lock:
                if not self._closed:
                    self._idle.append(conn)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the writer lock; the index update after it stays under the lock."""
        if self._closed:
            raise RuntimeError("the store is closed")
        with self._write_lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # not after a COMMIT that already went through
                    self._db.execute("ROLLBACK")
                raise

    def _commit(self) -> None:
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Closes the connections (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._idle.clear()
        db = getattr(self, "_db", None)
        if db is not None:
            with self._write_lock:
                db.close()

    def __enter__(self) -> SqliteTenantStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- apps and keys -------------------------------------------------------------------------
    def create_app(self, name: str, quota: int, app_id: str | None = None) -> App:
        """A new app with a feature-id ``quota`` (>= 0); ``app_id`` defaults to a new UUID4."""
        if quota < 0:
            raise ValueError("quota must be >= 0")
        app = App(app_id=app_id or str(uuid.uuid4()), name=name, quota=quota, created_at=time.time())
        with self._write() as db:
            try:
                db.execute(
                    f"INSERT INTO apps ({APP_COLS}) VALUES (?, ?, ?, ?)",
                    (app.app_id, app.name, app.quota, app.created_at),
                )
            except sqlite3.IntegrityError as exc:
                raise InvalidRequest(f"An app with id {app.app_id!r} already exists.") from exc
            self._commit()
        return app

    def get_app(self, app_id: str) -> App:
        with self._read() as conn:
            row = conn.execute(f"SELECT {APP_COLS} FROM apps WHERE app_id = ?", (app_id,)).fetchone()
        if row is None:
            raise AppNotFound()
        return row_to_app(row)

    def list_apps(self) -> list[App]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {APP_COLS} FROM apps ORDER BY rowid").fetchall()
        return [row_to_app(r) for r in rows]

    def add_key(self, app_id: str, access_key: str, sealed_secret: bytes) -> AccessKey:
        key = AccessKey(access_key, app_id, bytes(sealed_secret), time.time())
        with self._write() as db:
            if db.execute("SELECT 1 FROM apps WHERE app_id = ?", (app_id,)).fetchone() is None:
                raise AppNotFound()
            (active,) = db.execute(
                "SELECT COUNT(*) FROM access_keys WHERE app_id = ? AND revoked_at IS NULL", (app_id,)
            ).fetchone()
            if active >= MAX_ACTIVE_KEYS:
                raise TooManyKeys()
            try:
                db.execute(
                    f"INSERT INTO access_keys ({KEY_COLS}) VALUES (?, ?, ?, ?, NULL)",
                    (key.access_key, key.app_id, key.sealed_secret, key.created_at),
                )
            except sqlite3.IntegrityError as exc:
                raise InvalidRequest("This access key already exists.") from exc
            self._commit()
        return key

    def get_key(self, access_key: str) -> AccessKey | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {KEY_COLS} FROM access_keys WHERE access_key = ?", (access_key,)).fetchone()
        return None if row is None else row_to_key(row)

    def list_keys(self, app_id: str) -> list[AccessKey]:
        """The app's keys, active and revoked, oldest first (empty for an unknown app)."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {KEY_COLS} FROM access_keys WHERE app_id = ? ORDER BY created_at, rowid", (app_id,)
            ).fetchall()
        return [row_to_key(r) for r in rows]

    def revoke_key(self, access_key: str) -> None:
        with self._write() as db:
            cur = db.execute(
                "UPDATE access_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE access_key = ?",
                (time.time(), access_key),
            )
            if cur.rowcount == 0:
                raise AccessKeyNotFound()
            self._commit()

    def app_usage(self, app_id: str) -> AppUsage:
        with self._read() as conn:
            n, reserved = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(max_size), 0) FROM databases WHERE app_id = ?", (app_id,)
            ).fetchone()
        return AppUsage(int(n), int(reserved))
