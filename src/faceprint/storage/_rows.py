"""Row -> dataclass mapping shared by the SQL backends.

Each ``row_to_*`` reads the columns in the order of the matching ``*_COLS`` list (for features, each
backend's own list: ``feature_id`` or ``id`` first, then ``db_id, key, extra_info, model_version,
created_at``).
"""

from __future__ import annotations

from typing import Any

from faceprint.storage.base import AccessKey, App, Database, Feature

__all__ = [
    "APP_COLS",
    "DB_COLS",
    "KEY_COLS",
    "Row",
    "row_to_app",
    "row_to_database",
    "row_to_feature",
    "row_to_key",
]

Row = tuple[Any, ...]

APP_COLS = "app_id, name, quota, created_at"
KEY_COLS = "access_key, app_id, sealed_secret, created_at, revoked_at"
DB_COLS = "db_id, app_id, name, description, max_size, size, model_version, created_at"


def row_to_app(r: Row) -> App:
    return App(app_id=r[0], name=r[1], quota=int(r[2]), created_at=float(r[3]))


def row_to_key(r: Row) -> AccessKey:
    return AccessKey(
        access_key=r[0],
        app_id=r[1],
        sealed_secret=bytes(r[2]),
        created_at=float(r[3]),
        revoked_at=None if r[4] is None else float(r[4]),
    )


def row_to_database(r: Row) -> Database:
    return Database(
        db_id=r[0],
        app_id=r[1],
        name=r[2],
        description=r[3],
        max_size=int(r[4]),
        size=int(r[5]),
        model_version=r[6],
        created_at=float(r[7]),
    )


def row_to_feature(r: Row) -> Feature:
    """The first column is the feature_id (text in SQLite, an integer row id in PostgreSQL)."""
    return Feature(
        feature_id=str(r[0]),
        db_id=r[1],
        key=r[2],
        extra_info=r[3],
        model_version=r[4],
        created_at=float(r[5]),
    )
