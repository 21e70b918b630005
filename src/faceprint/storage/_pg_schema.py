"""Versioned schema migrations of the PostgreSQL store.

Each migration is applied once, in order, inside its own transaction, and recorded in ``fp_schema_version``.
:func:`migrate` runs at every open under a session-level advisory lock, so several API nodes starting together
apply each migration exactly once and none of them sees a half-built schema. Published migrations never
change; a schema change is a new entry at the end of :data:`MIGRATIONS`.

Tables (all prefixed ``fp_`` and created in the connection's ``search_path`` schema):

* ``fp_apps``, ``fp_access_keys``: tenants and their sealed keys.
* ``fp_databases``: feature databases; ``size`` and ``version`` change only under the row's lock
  (``SELECT ... FOR UPDATE``), which serialises every feature write of one database across all nodes.
* ``fp_features``: one row per feature, its descriptor in a pgvector ``vector`` column
  (any dimension since migration 2; one dimension per database) and the database
  ``version`` that added it.
* ``fp_feature_deletions``: ``(db_id, version, id)`` of every deleted feature, so a node's in-memory index can
  catch up from any version without rereading the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import errors as pg_errors

from faceprint.errors import InternalError

__all__ = ["LATEST_VERSION", "MIGRATIONS", "Migration", "migrate"]

log = logging.getLogger(__name__)

#: Key of the advisory lock held while migrating (an arbitrary constant: "faceprnt" in ASCII).
_MIGRATION_LOCK = 0x6661636570726E74


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "apps, keys, databases, features (vector(128)), deletion log",
        """
        CREATE TABLE fp_apps (
            app_id      text PRIMARY KEY,
            name        text NOT NULL,
            quota       bigint NOT NULL CHECK (quota >= 0),
            created_at  double precision NOT NULL,
            seq         bigserial NOT NULL UNIQUE
        );
        CREATE TABLE fp_access_keys (
            access_key    text PRIMARY KEY,
            app_id        text NOT NULL REFERENCES fp_apps (app_id) ON DELETE CASCADE,
            sealed_secret bytea NOT NULL,
            created_at    double precision NOT NULL,
            revoked_at    double precision,
            seq           bigserial NOT NULL UNIQUE
        );
        CREATE INDEX fp_access_keys_app ON fp_access_keys (app_id, seq);
        CREATE TABLE fp_databases (
            db_id         text PRIMARY KEY,
            app_id        text NOT NULL REFERENCES fp_apps (app_id) ON DELETE CASCADE,
            name          text NOT NULL,
            description   text NOT NULL,
            max_size      bigint NOT NULL CHECK (max_size > 0),
            size          bigint NOT NULL DEFAULT 0,
            model_version text NOT NULL,
            version       bigint NOT NULL DEFAULT 0,
            created_at    double precision NOT NULL,
            seq           bigserial NOT NULL UNIQUE,
            CONSTRAINT fp_databases_size CHECK (size >= 0 AND size <= max_size)
        );
        CREATE INDEX fp_databases_app ON fp_databases (app_id, seq);
        CREATE SEQUENCE fp_feature_ids AS bigint NO CYCLE;
        CREATE TABLE fp_features (
            id            bigint PRIMARY KEY,
            db_id         text NOT NULL REFERENCES fp_databases (db_id) ON DELETE CASCADE,
            key           text NOT NULL,
            extra_info    text NOT NULL,
            model_version text NOT NULL,
            created_at    double precision NOT NULL,
            version       bigint NOT NULL,
            descriptor    vector(128) NOT NULL
        );
        CREATE INDEX fp_features_db_version ON fp_features (db_id, version);
        CREATE TABLE fp_feature_deletions (
            db_id   text NOT NULL REFERENCES fp_databases (db_id) ON DELETE CASCADE,
            version bigint NOT NULL,
            id      bigint NOT NULL,
            PRIMARY KEY (db_id, version, id)
        );
        """,
    ),
    Migration(
        2,
        "descriptors of any dimension (recogniser packs: vector(128) -> vector)",
        # pgvector keeps each value's own dimension; a database holds one pack's descriptors, so one dimension
        """
        ALTER TABLE fp_features ALTER COLUMN descriptor TYPE vector;
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


def _ensure_vector_extension(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Creates pgvector if this role may; otherwise it must already be installed (by a superuser)."""
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    if row is not None:
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except (pg_errors.InsufficientPrivilege, pg_errors.FeatureNotSupported, pg_errors.UndefinedFile) as e:
        raise InternalError(
            "PostgreSQL store: the pgvector extension is not installed in this database and this role "
            f"cannot create it ({e.sqlstate}: {e}); run `CREATE EXTENSION vector` as a superuser"
        ) from e


def migrate(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """Brings the schema to :data:`LATEST_VERSION`; returns the number of migrations applied.

    ``conn`` must be in autocommit mode. Safe to run from many processes at once (advisory lock).
    Raises InternalError if the database's schema is newer than this code knows.
    """
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        _ensure_vector_extension(conn)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS fp_schema_version ("
            " version integer PRIMARY KEY, description text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT coalesce(max(version), 0) FROM fp_schema_version").fetchone()
        current = int(row[0]) if row else 0  # type: ignore[call-overload]
        if current > LATEST_VERSION:
            raise InternalError(
                f"PostgreSQL store: schema version {current} is newer than this Faceprint knows "
                f"({LATEST_VERSION}); upgrade Faceprint on this node"
            )
        applied = 0
        for m in MIGRATIONS:
            if m.version <= current:
                continue
            with conn.transaction():
                conn.execute(m.sql.encode())
                conn.execute(
                    "INSERT INTO fp_schema_version (version, description) VALUES (%s, %s)",
                    (m.version, m.description),
                )
            log.info("PostgreSQL store: applied schema migration %d (%s)", m.version, m.description)
            applied += 1
        return applied
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
