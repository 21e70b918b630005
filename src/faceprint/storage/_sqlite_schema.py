"""The embedded store's SQLite schema, its migrations and the descriptor blob format.

Descriptors are stored as little-endian float32 blobs (512 bytes for 128 values; 2 to 4096 values since
schema 2), never pickled.
``features.row_id`` is an AUTOINCREMENT key: SQLite never hands the same row id out twice, even after the
highest row is deleted, so the in-memory index can key rows by it without ever confusing a new row with a
deleted one. ``databases.size`` is kept in the same transaction as every insert and delete, so the size and
quota checks never need a COUNT over the features.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import numpy.typing as npt

from faceprint.errors import InternalError

__all__ = ["FEATURE_COLS", "SCHEMA_VERSION", "blob_to_vectors", "migrate", "vector_to_blob"]

#: Migration i (1-based) brings a store from version i-1 to version i. Append, never edit.
_MIGRATIONS: list[str] = [
    """
    CREATE TABLE apps (
        app_id      TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        quota       INTEGER NOT NULL CHECK (quota >= 0),
        created_at  REAL NOT NULL
    );
    CREATE TABLE access_keys (
        access_key     TEXT PRIMARY KEY,
        app_id         TEXT NOT NULL REFERENCES apps(app_id),
        sealed_secret  BLOB NOT NULL,
        created_at     REAL NOT NULL,
        revoked_at     REAL
    );
    CREATE INDEX access_keys_app ON access_keys(app_id);
    CREATE TABLE databases (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT,
        db_id          TEXT NOT NULL UNIQUE,
        app_id         TEXT NOT NULL REFERENCES apps(app_id),
        name           TEXT NOT NULL,
        description    TEXT NOT NULL,
        max_size       INTEGER NOT NULL CHECK (max_size > 0),
        size           INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
        model_version  TEXT NOT NULL,
        created_at     REAL NOT NULL
    );
    CREATE INDEX databases_app ON databases(app_id);
    CREATE TABLE features (
        row_id         INTEGER PRIMARY KEY AUTOINCREMENT,
        feature_id     TEXT NOT NULL UNIQUE,
        db_id          TEXT NOT NULL REFERENCES databases(db_id) ON DELETE CASCADE,
        key            TEXT NOT NULL,
        extra_info     TEXT NOT NULL,
        created_at     REAL NOT NULL,
        model_version  TEXT NOT NULL,
        vector         BLOB NOT NULL CHECK (length(vector) = 512)
    );
    CREATE INDEX features_db ON features(db_id, row_id);
    """,
    # 2: descriptors of any dimension (recogniser packs; a database holds one pack's): SQLite cannot change a
    # CHECK, so the table is rebuilt, keeping every row_id and the AUTOINCREMENT high-water mark.
    """
    CREATE TABLE features_v2 (
        row_id         INTEGER PRIMARY KEY AUTOINCREMENT,
        feature_id     TEXT NOT NULL UNIQUE,
        db_id          TEXT NOT NULL REFERENCES databases(db_id) ON DELETE CASCADE,
        key            TEXT NOT NULL,
        extra_info     TEXT NOT NULL,
        created_at     REAL NOT NULL,
        model_version  TEXT NOT NULL,
        vector         BLOB NOT NULL CHECK (length(vector) BETWEEN 8 AND 16384 AND length(vector) % 4 = 0)
    );
    INSERT INTO features_v2 (row_id, feature_id, db_id, key, extra_info, created_at, model_version, vector)
        SELECT row_id, feature_id, db_id, key, extra_info, created_at, model_version, vector FROM features;
    CREATE TEMP TABLE features_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'features';
    DROP TABLE features;
    ALTER TABLE features_v2 RENAME TO features;
    DELETE FROM sqlite_sequence WHERE name = 'features';
    INSERT INTO sqlite_sequence (name, seq) SELECT 'features', seq FROM temp.features_seq;
    DROP TABLE temp.features_seq;
    CREATE INDEX features_db ON features(db_id, row_id);
    """,
]

SCHEMA_VERSION = len(_MIGRATIONS)

FEATURE_COLS = "feature_id, db_id, key, extra_info, model_version, created_at"


def migrate(conn: sqlite3.Connection) -> int:
    """Brings the schema to :data:`SCHEMA_VERSION`; returns the version found before. Raises InternalError
    for a store written by a newer Faceprint."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    found = 0 if row is None else int(row[0])
    if found > SCHEMA_VERSION:
        raise InternalError(f"The store has schema version {found}; this Faceprint knows up to {SCHEMA_VERSION}.")
    for version in range(found + 1, SCHEMA_VERSION + 1):
        # executescript commits first; the whole migration then runs as one transaction.
        conn.executescript(
            "BEGIN IMMEDIATE;\n"
            + _MIGRATIONS[version - 1]
            + "\nDELETE FROM schema_version;\n"
            + f"INSERT INTO schema_version (version) VALUES ({version});\nCOMMIT;"
        )
    return found


def vector_to_blob(vector: npt.NDArray[np.float32]) -> bytes:
    """float32 values as little-endian bytes (512 for a 128-value descriptor)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def blob_to_vectors(blobs: list[bytes]) -> npt.NDArray[np.float32]:
    """Blobs of :func:`vector_to_blob` (all of one dimension) as a (n, dim) native float32 array."""
    flat = np.frombuffer(b"".join(blobs), dtype="<f4")
    out: npt.NDArray[np.float32] = flat.astype(np.float32, copy=False).reshape(len(blobs), -1)
    return out

