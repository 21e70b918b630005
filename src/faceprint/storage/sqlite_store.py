"""The embedded FeatureStore: one SQLite file (WAL) plus the in-memory :class:`VectorIndex`.

Durability: WAL with ``synchronous=FULL``, so the WAL is fsynced at every commit and a feature that
:meth:`SqliteStore.add_features` returned survives a kill -9 *and* an OS crash or power cut. (``NORMAL`` in
WAL mode would survive a killed process, since committed pages sit in the OS page cache, but could lose the
last commits on an OS crash; the protocol promises "every returned Feature is durable", so FULL it is. Its
cost is one fsync per add/delete call, not per feature.)

Apps and keys live in the same file (:mod:`faceprint.storage.sqlite_tenants`, which the admin commands open
alone, beside a running service).

Concurrency: one writer at a time (a lock around each write transaction and the index update that follows
its commit); readers use their own per-thread connections and never block the writer (WAL). A second process
opening the same store gets :class:`~faceprint.errors.StoreLocked` (``flock`` on ``<db>.lock``).

Identifiers: app, database and feature ids are UUID4 strings (122 random bits: unique, never reused).
The index is keyed by ``features.row_id``, an AUTOINCREMENT key SQLite never reuses.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from faceprint.errors import (
    AppNotFound,
    DatabaseFull,
    DatabaseNotFound,
    FaceprintError,
    FeatureNotFound,
    ModelVersionMismatch,
    QuotaExceeded,
    StoreLocked,
)
from faceprint.files import FILE_MODE, private_dir
from faceprint.storage._rows import DB_COLS, row_to_database, row_to_feature
from faceprint.storage._sqlite_schema import FEATURE_COLS, blob_to_vectors, vector_to_blob
from faceprint.storage.base import (
    Database,
    Feature,
    FeatureMatrix,
    Hit,
    NewFeature,
    SearchResult,
)
from faceprint.storage.checks import check_dim, check_top_k, unit_vector, unit_vectors
from faceprint.storage.index import VectorIndex
from faceprint.storage.sqlite_tenants import SqliteTenantStore

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)

_LOAD_CHUNK = 65_536


class SqliteStore(SqliteTenantStore):
    """The embedded :class:`~faceprint.storage.base.Store` at ``path`` (created if missing): the tenant tables
    of :class:`SqliteTenantStore` plus feature databases, features and the search index.

    Opening rebuilds the search index from the file (about 4 s per million features on 2 cores). Raises StoreLocked
    when another process (or another open SqliteStore) holds the same path.
    """

    def __init__(self, path: Path, index_threads: int | None = None) -> None:
        path = Path(path)
        private_dir(path.parent)
        self._lock_file: IO[bytes] | None = self._acquire_lock(path.with_name(path.name + ".lock"))
        self.index = VectorIndex(threads=index_threads)
        try:
            super().__init__(path)
            if self._found:
                self._load_index()
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _acquire_lock(lock_path: Path) -> IO[bytes]:
        f = os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE), "a+b")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            f.close()
            raise StoreLocked(f"The store {lock_path.parent} is already opened by another process.") from exc
        f.truncate(0)
        f.write(str(os.getpid()).encode())
        f.flush()
        return f

    def _load_index(self) -> None:
        t0 = time.perf_counter()
        total = 0
        dbs = self._db.execute("SELECT db_id, size FROM databases ORDER BY seq").fetchall()
        # A million row tuples would trigger many full garbage collections that find nothing to free.
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            for db_id, size in dbs:
                if not size:
                    continue
                self.index.reserve(db_id, int(size))
                cur = self._db.execute("SELECT row_id, vector FROM features WHERE db_id = ?", (db_id,))
                while rows := cur.fetchmany(_LOAD_CHUNK):
                    self.index.add(db_id, [r[0] for r in rows], blob_to_vectors([r[1] for r in rows]))
                    total += len(rows)
                    del rows
        finally:
            if gc_was_on:
                gc.enable()
        log.info("store %s: index of %d features rebuilt in %.2f s", self.path, total, time.perf_counter() - t0)

    def close(self) -> None:
        """Closes the connections and releases the file lock (idempotent)."""
        super().close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> SqliteStore:
        return self

    # -- databases -----------------------------------------------------------------------------
    def create_database(self, app_id: str, name: str, description: str, max_size: int, model_version: str) -> Database:
        if max_size < 1:
            raise ValueError("max_size must be >= 1")
        database = Database(
            db_id=str(uuid.uuid4()),
            app_id=app_id,
            name=name,
            description=description,
            max_size=max_size,
            size=0,
            model_version=model_version,
            created_at=time.time(),
        )
        with self._write() as db:
            row = db.execute("SELECT quota FROM apps WHERE app_id = ?", (app_id,)).fetchone()
            if row is None:
                raise AppNotFound()
            (reserved,) = db.execute(
                "SELECT COALESCE(SUM(max_size), 0) FROM databases WHERE app_id = ?", (app_id,)
            ).fetchone()
            if reserved + max_size > row[0]:
                raise QuotaExceeded(
                    f"The app's feature-id quota is exceeded: {row[0] - reserved} of {row[0]} left, {max_size} asked."
                )
            db.execute(
                f"INSERT INTO databases ({DB_COLS}) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (database.db_id, app_id, name, description, max_size, model_version, database.created_at),
            )
            self._commit()
        return database

    def list_databases(self, app_id: str) -> list[Database]:
        """The app's databases, oldest first (empty for an unknown app)."""
        with self._read() as conn:
            rows = conn.execute(f"SELECT {DB_COLS} FROM databases WHERE app_id = ? ORDER BY seq", (app_id,)).fetchall()
        return [row_to_database(r) for r in rows]

    def get_database(self, app_id: str, db_id: str) -> Database:
        with self._read() as conn:
            return self._get_database(conn, app_id, db_id)

    @staticmethod
    def _get_database(conn: sqlite3.Connection, app_id: str, db_id: str) -> Database:
        row = conn.execute(
            f"SELECT {DB_COLS} FROM databases WHERE db_id = ? AND app_id = ?", (db_id, app_id)
        ).fetchone()
        if row is None:
            raise DatabaseNotFound()
        return row_to_database(row)

    def delete_database(self, app_id: str, db_id: str) -> None:
        with self._write() as db:
            self._get_database(db, app_id, db_id)
            db.execute("DELETE FROM features WHERE db_id = ?", (db_id,))
            db.execute("DELETE FROM databases WHERE db_id = ?", (db_id,))
            self._commit()
            self.index.drop(db_id)

    # -- features ------------------------------------------------------------------------------
    def add_features(
        self, app_id: str, db_id: str, items: Sequence[NewFeature], model_version: str
    ) -> list[Feature | FaceprintError]:
        """Adds each item (its vector scaled to unit length); see the protocol. InvalidRequest for a vector
        that is not 2 to 4096 finite values or not of the dimension the database holds."""
        vectors = unit_vectors([it.vector for it in items])
        out: list[Feature | FaceprintError] = []
        with self._write() as db:
            database = self._get_database(db, app_id, db_id)
            if model_version != database.model_version:
                raise ModelVersionMismatch(
                    f"The database holds {database.model_version!r} descriptors, not {model_version!r}."
                )
            wrong_dim = check_dim(self.index, db_id, vectors.shape[1]) if len(items) else None
            if wrong_dim is not None:
                raise wrong_dim
            room = max(0, database.max_size - database.size)
            take = min(room, len(items))
            now = time.time()
            # Row ids are handed out here (one writer holds the file lock and this lock) so the batch can go
            # in with one executemany; AUTOINCREMENT's sqlite_sequence still records the highest ever used.
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'features'").fetchone()
            first = (int(seq[0]) if seq else 0) + 1
            row_ids = list(range(first, first + take))
            features = [
                Feature(str(uuid.uuid4()), db_id, it.key, it.extra_info, model_version, now) for it in items[:take]
            ]
            db.executemany(
                "INSERT INTO features (row_id, feature_id, db_id, key, extra_info, created_at, model_version, vector)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (rid, f.feature_id, db_id, f.key, f.extra_info, now, model_version, vector_to_blob(v))
                    for rid, f, v in zip(row_ids, features, vectors[:take], strict=True)
                ],
            )
            if take:
                db.execute("UPDATE databases SET size = size + ? WHERE db_id = ?", (take, db_id))
            self._commit()
            if take:
                self.index.add(db_id, row_ids, vectors[:take])
        out.extend(features)
        out.extend(DatabaseFull() for _ in range(len(items) - take))
        return out

    def get_feature(self, app_id: str, db_id: str, feature_id: str) -> Feature:
        with self._read() as conn:
            self._get_database(conn, app_id, db_id)
            row = conn.execute(
                f"SELECT {FEATURE_COLS} FROM features WHERE feature_id = ? AND db_id = ?", (feature_id, db_id)
            ).fetchone()
        if row is None:
            raise FeatureNotFound()
        return row_to_feature(row)

    def list_features(
        self, app_id: str, db_id: str, offset: int, limit: int, key: str | None = None
    ) -> list[Feature]:
        by_key, params = ("AND key = ? ", (key,)) if key is not None else ("", ())
        with self._read() as conn:
            self._get_database(conn, app_id, db_id)
            rows = conn.execute(
                f"SELECT {FEATURE_COLS} FROM features WHERE db_id = ? {by_key}ORDER BY row_id LIMIT ? OFFSET ?",
                (db_id, *params, limit, offset),
            ).fetchall()
        return [row_to_feature(r) for r in rows]

    def delete_feature(self, app_id: str, db_id: str, feature_id: str) -> None:
        with self._write() as db:
            self._get_database(db, app_id, db_id)
            row = db.execute(
                "SELECT row_id FROM features WHERE feature_id = ? AND db_id = ?", (feature_id, db_id)
            ).fetchone()
            if row is None:
                raise FeatureNotFound()
            db.execute("DELETE FROM features WHERE row_id = ?", (row[0],))
            db.execute("UPDATE databases SET size = size - 1 WHERE db_id = ?", (db_id,))
            self._commit()
            self.index.remove(db_id, [int(row[0])])

    def update_extra_info(self, app_id: str, db_id: str, feature_id: str, extra_info: str) -> Feature:
        with self._write() as db:
            self._get_database(db, app_id, db_id)
            cur = db.execute(
                "UPDATE features SET extra_info = ? WHERE feature_id = ? AND db_id = ?",
                (extra_info, feature_id, db_id),
            )
            if cur.rowcount == 0:
                raise FeatureNotFound()
            row = db.execute(f"SELECT {FEATURE_COLS} FROM features WHERE feature_id = ?", (feature_id,)).fetchone()
            self._commit()
        return row_to_feature(row)

    def export_features(self, app_id: str, db_id: str, key: str | None = None) -> FeatureMatrix:
        sql = "SELECT feature_id, key, vector FROM features WHERE db_id = ?"
        params: tuple[str, ...] = (db_id,)
        if key is not None:
            sql, params = sql + " AND key = ?", (db_id, key)
        with self._read() as conn:
            self._get_database(conn, app_id, db_id)
            rows = conn.execute(sql + " ORDER BY row_id", params).fetchall()
        vectors = blob_to_vectors([r[2] for r in rows]) if rows else np.empty((0, 0), np.float32)
        return FeatureMatrix([r[0] for r in rows], [r[1] for r in rows], vectors)

    # -- search --------------------------------------------------------------------------------
    def search(
        self,
        app_id: str,
        db_ids: Sequence[str],
        vector: npt.NDArray[np.float32],
        top_k: int,
        min_similarity: float,
        model_version: str,
    ) -> list[SearchResult]:
        check_top_k(top_k)
        query = unit_vector(vector)
        with self._read() as conn:
            found: dict[str, str] = {}
            unique = list(dict.fromkeys(db_ids))
            if unique:
                marks = ",".join("?" * len(unique))
                found = dict(
                    conn.execute(
                        f"SELECT db_id, model_version FROM databases WHERE app_id = ? AND db_id IN ({marks})",
                        (app_id, *unique),
                    ).fetchall()
                )
            slots: list[list[tuple[int, float]] | FaceprintError] = []
            for db_id in db_ids:
                if db_id not in found:
                    slots.append(DatabaseNotFound())
                elif found[db_id] != model_version:
                    slots.append(
                        ModelVersionMismatch(f"The database holds {found[db_id]!r} descriptors, not {model_version!r}.")
                    )
                else:
                    wrong_dim = check_dim(self.index, db_id, len(query))
                    slots.append(wrong_dim or self.index.search(db_id, query, top_k, min_similarity))
            features = self._features_by_row(conn, {i for s in slots if isinstance(s, list) for i, _ in s})
        results: list[SearchResult] = []
        for slot in slots:
            if isinstance(slot, FaceprintError):
                results.append(slot)
            else:
                # A row deleted between the index search and this read is simply no longer a hit.
                results.append([Hit(features[i], sim) for i, sim in slot if i in features])
        return results

    @staticmethod
    def _features_by_row(conn: sqlite3.Connection, row_ids: set[int]) -> dict[int, Feature]:
        out: dict[int, Feature] = {}
        ids = sorted(row_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                f"SELECT row_id, {FEATURE_COLS} FROM features WHERE row_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            out.update((int(r[0]), row_to_feature(r[1:])) for r in rows)
        return out
