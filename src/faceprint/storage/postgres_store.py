"""The PostgreSQL + pgvector backend of :class:`~faceprint.storage.base.Store`, for many stateless API
nodes sharing one database.

PostgreSQL is the record: apps, keys, databases and features (descriptors in a pgvector ``vector``
column), written in transactions. Search is exact and runs in each node's memory (a
:class:`~faceprint.storage.index.VectorIndex`), kept in step with the record by per-database versions (see
``_pg_sync``): every search reads the searched databases' rows and catches up first, so a feature added or
deleted through any node is seen by the next search on every node.

Race-free limits across nodes: adding or deleting features locks the database's row (``FOR UPDATE``), so
``size`` never passes ``max_size`` (a CHECK constraint backs this up); creating a database or a key locks the
app's row, so quotas and the two-active-keys limit hold too. Feature ids come from one sequence and are never
reused.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from faceprint.errors import (
    AccessKeyNotFound,
    AppNotFound,
    DatabaseFull,
    DatabaseNotFound,
    FaceprintError,
    FeatureNotFound,
    InternalError,
    InvalidRequest,
    ModelVersionMismatch,
    QuotaExceeded,
    TooManyKeys,
)
from faceprint.storage._pg_codec import decode_id_vectors, encode_feature_rows
from faceprint.storage._pg_schema import migrate
from faceprint.storage._pg_sync import IndexSync
from faceprint.storage._rows import APP_COLS, DB_COLS, KEY_COLS, row_to_app, row_to_database, row_to_feature, row_to_key
from faceprint.storage.base import (
    AccessKey,
    App,
    AppUsage,
    Database,
    Feature,
    FeatureMatrix,
    Hit,
    NewFeature,
    SearchResult,
)
from faceprint.storage.checks import MAX_ACTIVE_KEYS, check_dim, check_top_k, unit_vector, unit_vectors

__all__ = ["PostgresStore"]

log = logging.getLogger(__name__)

Conn = psycopg.Connection[tuple[Any, ...]]

_FEATURE_COLS = "id, db_id, key, extra_info, model_version, created_at"
_NOW = "extract(epoch FROM clock_timestamp())::double precision"


def _row_id(feature_id: str) -> int | None:
    """The integer row id behind a feature_id, or None when it cannot be one of ours."""
    if not feature_id.isascii() or not feature_id.isdigit() or len(feature_id) > 18:
        return None
    return int(feature_id)


class PostgresStore:
    """The Store on PostgreSQL (>= 13) with pgvector (>= 0.5). Thread-safe; one per process.

    ``url``: a libpq URL or conninfo (``postgresql://user:pass@host:5432/faceprint``; a ``?options=-c
    search_path=...`` parameter puts the tables in another schema). ``pool_size``: the most connections this
    node opens (1..1000; each search holds one for about a millisecond). Opening applies pending schema
    migrations (safe when many nodes start together); raises InternalError when the server cannot be reached
    or its schema is newer than this code.
    """

    def __init__(self, url: str, pool_size: int = 8) -> None:
        if not 1 <= pool_size <= 1000:
            raise ValueError("pool_size must be 1..1000")
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                migrate(conn)
        except psycopg.OperationalError as e:
            raise InternalError(f"PostgreSQL store: cannot connect or migrate: {e}") from e
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"autocommit": True}, open=True,
            name="faceprint-store",
        )
        self._sync = IndexSync()
        self._closed = False

    # -- plumbing ------------------------------------------------------------------------------
    def close(self) -> None:
        """Closes the pool (idempotent). The in-memory index is dropped."""
        if not self._closed:
            self._closed = True
            self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _one(conn: Conn, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        return conn.execute(sql.encode(), params).fetchone()

    @staticmethod
    def _all(conn: Conn, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return conn.execute(sql.encode(), params).fetchall()

    # -- apps and keys -------------------------------------------------------------------------
    def create_app(self, name: str, quota: int, app_id: str | None = None) -> App:
        app_id = app_id or str(uuid.uuid4())
        with self._pool.connection() as conn:
            try:
                r = self._one(
                    conn,
                    f"INSERT INTO fp_apps (app_id, name, quota, created_at) VALUES (%s, %s, %s, {_NOW})"
                    f" RETURNING {APP_COLS}",
                    (app_id, name, quota),
                )
            except pg_errors.UniqueViolation as e:
                raise InvalidRequest(f"An app with id {app_id!r} already exists.") from e
        assert r is not None
        return row_to_app(r)

    def get_app(self, app_id: str) -> App:
        with self._pool.connection() as conn:
            r = self._one(conn, f"SELECT {APP_COLS} FROM fp_apps WHERE app_id = %s", (app_id,))
        if r is None:
            raise AppNotFound()
        return row_to_app(r)

    def list_apps(self) -> list[App]:
        with self._pool.connection() as conn:
            return [row_to_app(r) for r in self._all(conn, f"SELECT {APP_COLS} FROM fp_apps ORDER BY seq", ())]

    def add_key(self, app_id: str, access_key: str, sealed_secret: bytes) -> AccessKey:
        with self._pool.connection() as conn, conn.transaction():
            if self._one(conn, "SELECT 1 FROM fp_apps WHERE app_id = %s FOR UPDATE", (app_id,)) is None:
                raise AppNotFound()
            r = self._one(
                conn,
                "SELECT count(*) FROM fp_access_keys WHERE app_id = %s AND revoked_at IS NULL",
                (app_id,),
            )
            if r is not None and int(r[0]) >= MAX_ACTIVE_KEYS:
                raise TooManyKeys()
            try:
                with conn.transaction():
                    r = self._one(
                        conn,
                        "INSERT INTO fp_access_keys (access_key, app_id, sealed_secret, created_at)"
                        f" VALUES (%s, %s, %s, {_NOW}) RETURNING {KEY_COLS}",
                        (access_key, app_id, sealed_secret),
                    )
            except pg_errors.UniqueViolation as e:
                raise InvalidRequest("This access key already exists.") from e
        assert r is not None
        return row_to_key(r)

    def get_key(self, access_key: str) -> AccessKey | None:
        with self._pool.connection() as conn:
            r = self._one(
                conn, f"SELECT {KEY_COLS} FROM fp_access_keys WHERE access_key = %s", (access_key,)
            )
        return None if r is None else row_to_key(r)

    def list_keys(self, app_id: str) -> list[AccessKey]:
        with self._pool.connection() as conn:
            rows = self._all(
                conn, f"SELECT {KEY_COLS} FROM fp_access_keys WHERE app_id = %s ORDER BY seq", (app_id,)
            )
        return [row_to_key(r) for r in rows]

    def revoke_key(self, access_key: str) -> None:
        with self._pool.connection() as conn:
            r = self._one(
                conn,
                f"UPDATE fp_access_keys SET revoked_at = coalesce(revoked_at, {_NOW})"
                " WHERE access_key = %s RETURNING 1",
                (access_key,),
            )
        if r is None:
            raise AccessKeyNotFound()

    def app_usage(self, app_id: str) -> AppUsage:
        with self._pool.connection() as conn:
            r = self._one(conn, "SELECT count(*), coalesce(sum(max_size), 0) FROM fp_databases WHERE app_id = %s",
                          (app_id,))
        return AppUsage(0, 0) if r is None else AppUsage(int(r[0]), int(r[1]))

    # -- databases -----------------------------------------------------------------------------
    def create_database(
        self, app_id: str, name: str, description: str, max_size: int, model_version: str
    ) -> Database:
        with self._pool.connection() as conn, conn.transaction():
            app = self._one(conn, "SELECT quota FROM fp_apps WHERE app_id = %s FOR UPDATE", (app_id,))
            if app is None:
                raise AppNotFound()
            used = self._one(
                conn, "SELECT coalesce(sum(max_size), 0) FROM fp_databases WHERE app_id = %s", (app_id,)
            )
            left = int(app[0]) - (int(used[0]) if used else 0)
            if max_size > left:
                raise QuotaExceeded(
                    f"The app's feature-id quota is exceeded: max_size {max_size} is over the {left} left."
                )
            r = self._one(
                conn,
                "INSERT INTO fp_databases (db_id, app_id, name, description, max_size, model_version,"
                f" created_at) VALUES (%s, %s, %s, %s, %s, %s, {_NOW}) RETURNING {DB_COLS}",
                (str(uuid.uuid4()), app_id, name, description, max_size, model_version),
            )
        assert r is not None
        return row_to_database(r)

    def list_databases(self, app_id: str) -> list[Database]:
        with self._pool.connection() as conn:
            rows = self._all(
                conn, f"SELECT {DB_COLS} FROM fp_databases WHERE app_id = %s ORDER BY seq", (app_id,)
            )
        return [row_to_database(r) for r in rows]

    def get_database(self, app_id: str, db_id: str) -> Database:
        with self._pool.connection() as conn:
            r = self._one(
                conn, f"SELECT {DB_COLS} FROM fp_databases WHERE db_id = %s AND app_id = %s", (db_id, app_id)
            )
        if r is None:
            raise DatabaseNotFound()
        return row_to_database(r)

    def delete_database(self, app_id: str, db_id: str) -> None:
        with self._pool.connection() as conn, conn.transaction():
            r = self._one(
                conn, "DELETE FROM fp_databases WHERE db_id = %s AND app_id = %s RETURNING 1", (db_id, app_id)
            )
        if r is None:
            raise DatabaseNotFound()
        self._sync.forget(db_id)

    # -- features ------------------------------------------------------------------------------
    def _lock_database(self, conn: Conn, app_id: str, db_id: str) -> tuple[int, int, str, int]:
        """Locks the database row for this transaction: ``(max_size, size, model_version, version)``."""
        r = self._one(
            conn,
            "SELECT max_size, size, model_version, version FROM fp_databases"
            " WHERE db_id = %s AND app_id = %s FOR UPDATE",
            (db_id, app_id),
        )
        if r is None:
            raise DatabaseNotFound()
        return int(r[0]), int(r[1]), str(r[2]), int(r[3])

    def add_features(
        self, app_id: str, db_id: str, items: Sequence[NewFeature], model_version: str
    ) -> list[Feature | FaceprintError]:
        vecs = unit_vectors([it.vector for it in items])
        with self._pool.connection() as conn, conn.transaction():
            max_size, size, db_model, version = self._lock_database(conn, app_id, db_id)
            if db_model != model_version:
                raise ModelVersionMismatch(
                    f"Database {db_id} holds {db_model} descriptors, not {model_version}."
                )
            held = self._one(conn, "SELECT vector_dims(descriptor) FROM fp_features WHERE db_id = %s LIMIT 1",
                             (db_id,))
            if held is not None and len(items) and int(held[0]) != vecs.shape[1]:
                raise InvalidRequest(f"The database holds {held[0]}-value descriptors, not {vecs.shape[1]}.")
            n = min(len(items), max_size - size)
            if n <= 0:
                return [DatabaseFull() for _ in items]
            r = self._one(
                conn,
                f"SELECT array_agg(nextval('fp_feature_ids')), {_NOW} FROM generate_series(1, %s)",
                (n,),
            )
            assert r is not None
            ids, now = [int(i) for i in r[0]], float(r[1])
            new_version = version + 1
            payload = encode_feature_rows(
                ids, db_id, [it.key for it in items[:n]], [it.extra_info for it in items[:n]], model_version,
                now, new_version, vecs[:n],
            )
            with conn.cursor() as cur, cur.copy(
                "COPY fp_features (id, db_id, key, extra_info, model_version, created_at, version,"
                " descriptor) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.write(payload)
            conn.execute(
                "UPDATE fp_databases SET size = size + %s, version = %s WHERE db_id = %s",
                (n, new_version, db_id),
            )
        self._sync.applied_add(db_id, version, new_version, ids, vecs[:n])
        out: list[Feature | FaceprintError] = [
            Feature(
                feature_id=str(fid), db_id=db_id, key=it.key, extra_info=it.extra_info,
                model_version=model_version, created_at=now,
            )
            for fid, it in zip(ids, items[:n], strict=True)
        ]
        out.extend(DatabaseFull() for _ in items[n:])
        return out

    def get_feature(self, app_id: str, db_id: str, feature_id: str) -> Feature:
        with self._pool.connection() as conn:
            r = self._one(
                conn,
                "SELECT f.id, f.db_id, f.key, f.extra_info, f.model_version, f.created_at, d.db_id"
                " FROM fp_databases d LEFT JOIN fp_features f ON f.db_id = d.db_id AND f.id = %s"
                " WHERE d.db_id = %s AND d.app_id = %s",
                (_row_id(feature_id), db_id, app_id),
            )
        if r is None:
            raise DatabaseNotFound()
        if r[0] is None:
            raise FeatureNotFound()
        return row_to_feature(r)

    def list_features(
        self, app_id: str, db_id: str, offset: int, limit: int, key: str | None = None
    ) -> list[Feature]:
        by_key, params = (" AND key = %s", (key,)) if key is not None else ("", ())
        with self._pool.connection() as conn, conn.transaction():
            if self._one(conn, "SELECT 1 FROM fp_databases WHERE db_id = %s AND app_id = %s", (db_id, app_id)) is None:
                raise DatabaseNotFound()
            rows = self._all(
                conn,
                f"SELECT {_FEATURE_COLS} FROM fp_features WHERE db_id = %s{by_key} ORDER BY id LIMIT %s OFFSET %s",
                (db_id, *params, limit, offset),
            )
        return [row_to_feature(r) for r in rows]

    def delete_feature(self, app_id: str, db_id: str, feature_id: str) -> None:
        row_id = _row_id(feature_id)
        with self._pool.connection() as conn, conn.transaction():
            _, _, _, version = self._lock_database(conn, app_id, db_id)
            if row_id is None or self._one(
                conn, "DELETE FROM fp_features WHERE id = %s AND db_id = %s RETURNING 1", (row_id, db_id)
            ) is None:
                raise FeatureNotFound()
            new_version = version + 1
            conn.execute(
                "UPDATE fp_databases SET size = size - 1, version = %s WHERE db_id = %s", (new_version, db_id)
            )
            conn.execute(
                "INSERT INTO fp_feature_deletions (db_id, version, id) VALUES (%s, %s, %s)",
                (db_id, new_version, row_id),
            )
        self._sync.applied_remove(db_id, version, new_version, [row_id])

    def update_extra_info(self, app_id: str, db_id: str, feature_id: str, extra_info: str) -> Feature:
        # Metadata only: search reads it from the record, so the index version does not change.
        with self._pool.connection() as conn, conn.transaction():
            if self._one(
                conn, "SELECT 1 FROM fp_databases WHERE db_id = %s AND app_id = %s", (db_id, app_id)
            ) is None:
                raise DatabaseNotFound()
            r = self._one(
                conn,
                "UPDATE fp_features SET extra_info = %s WHERE id = %s AND db_id = %s"
                f" RETURNING {_FEATURE_COLS}",
                (extra_info, _row_id(feature_id), db_id),
            )
        if r is None:
            raise FeatureNotFound()
        return row_to_feature(r)

    def export_features(self, app_id: str, db_id: str, key: str | None = None) -> FeatureMatrix:
        # One snapshot: the keys and the descriptors come from the same rows.
        where = "db_id = %s" + ("" if key is None else " AND key = %s")
        params: tuple[str, ...] = (db_id,) if key is None else (db_id, key)
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if self._one(conn, "SELECT 1 FROM fp_databases WHERE db_id = %s AND app_id = %s", (db_id, app_id)) is None:
                raise DatabaseNotFound()
            meta = self._all(conn, f"SELECT id, key FROM fp_features WHERE {where} ORDER BY id", params)
            with conn.cursor(binary=True) as cur:
                cur.execute(
                    f"SELECT int8send(id) || vector_send(descriptor) FROM fp_features WHERE {where} ORDER BY id",
                    params,
                )
                blob = b"".join(bytes(r[0]) for r in cur.fetchall())
        ids, vectors = decode_id_vectors(blob)
        if [int(r[0]) for r in meta] != ids.tolist():
            raise InternalError("The features changed while they were read.")
        return FeatureMatrix([str(r[0]) for r in meta], [str(r[1]) for r in meta], vectors)

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
        q = unit_vector(vector)
        with self._pool.connection() as conn:
            rows = self._all(
                conn,
                "SELECT db_id, model_version, version FROM fp_databases"
                " WHERE app_id = %s AND db_id = ANY(%s)",
                (app_id, list(dict.fromkeys(db_ids))),
            )
            found = {str(r[0]): (str(r[1]), int(r[2])) for r in rows}
            for db_id in set(db_ids) - set(found):
                if self._sync.known_version(db_id) is not None and self._one(
                    conn, "SELECT 1 FROM fp_databases WHERE db_id = %s", (db_id,)
                ) is None:
                    self._sync.forget(db_id)
            ranked: dict[str, list[tuple[int, float]]] = {}
            dim_errors: dict[str, FaceprintError] = {}
            for db_id, (db_model, version) in found.items():
                if db_model == model_version:
                    self._sync.ensure(conn, db_id, version)
                    wrong_dim = check_dim(self._sync.index, db_id, len(q))
                    if wrong_dim is not None:
                        dim_errors[db_id] = wrong_dim
                        continue
                    ranked[db_id] = self._sync.index.search(db_id, q, top_k, min_similarity)
            wanted = sorted({i for hits in ranked.values() for i, _ in hits})
            meta: dict[int, Feature] = {}
            if wanted:
                for r in self._all(
                    conn, f"SELECT {_FEATURE_COLS} FROM fp_features WHERE id = ANY(%s)", (wanted,)
                ):
                    meta[int(r[0])] = row_to_feature(r)
            self._sync.sweep(conn)
        out: list[SearchResult] = []
        for db_id in db_ids:
            if db_id not in found:
                out.append(DatabaseNotFound())
            elif found[db_id][0] != model_version:
                out.append(
                    ModelVersionMismatch(
                        f"Database {db_id} holds {found[db_id][0]} descriptors, not {model_version}."
                    )
                )
            elif db_id in dim_errors:
                out.append(dim_errors[db_id])
            else:
                # A row deleted between the index search and the metadata read is left out.
                out.append(
                    [Hit(meta[i], s) for i, s in ranked[db_id] if i in meta and meta[i].db_id == db_id]
                )
        return out

    # -- operations ----------------------------------------------------------------------------
    def warm(self) -> int:
        """Loads every database into this node's index now (instead of at its first search); returns
        the number of databases loaded. Call it at start-up to keep the first searches fast."""
        with self._pool.connection() as conn:
            rows = self._all(conn, "SELECT db_id, version FROM fp_databases", ())
            for db_id, version in rows:
                self._sync.ensure(conn, str(db_id), int(version))
        return len(rows)

    def index_lag(self) -> dict[str, int]:
        """Per loaded database, how many versions this node's index is behind the record (0: current)."""
        with self._pool.connection() as conn:
            rows = self._all(conn, "SELECT db_id, version FROM fp_databases", ())
        lag: dict[str, int] = {}
        for db_id, version in rows:
            known = self._sync.known_version(str(db_id))
            if known is not None:
                lag[str(db_id)] = int(version) - known
        return lag
