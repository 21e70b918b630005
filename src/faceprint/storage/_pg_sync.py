"""Keeps one node's in-memory :class:`VectorIndex` in step with the PostgreSQL record.

Every feature write to a database bumps ``fp_databases.version`` by one while holding that row's lock, so
versions of one database commit in order on every node. A node remembers, per database it has loaded, the
version its index reflects. A search first reads the databases' rows (it must anyway, for tenant and
model-version checks); where the row's version is ahead, the node applies the missing changes:

* features with ``version`` in ``(known, seen]`` are added (one query, descriptors in binary),
* ``fp_feature_deletions`` entries in ``(known, seen]`` are removed.

Both queries are bounded by the version the search saw, so the result is exactly that version's set or,
when a later delete already removed a row, something only closer to the future; ids are never reused, so
replaying a change twice or out of turn cannot revive anything. A database seen for the first time is
loaded whole, lazily. The outcome: a change committed through any node is visible to the very next search
on every node (no polling interval), at the cost of one indexed query per search.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
import psycopg

from faceprint.storage._pg_codec import decode_id_vectors
from faceprint.storage.index import VectorIndex

__all__ = ["IndexSync"]

log = logging.getLogger(__name__)

Conn = psycopg.Connection[tuple[object, ...]]

#: Seconds between sweeps that forget databases deleted through other nodes.
_SWEEP_EVERY_S = 60.0
_FETCH_ROWS = 16384


class IndexSync:
    """The node's index plus, per loaded database, the version it reflects. Thread-safe."""

    def __init__(self, index: VectorIndex | None = None) -> None:
        self.index = index or VectorIndex()
        self._versions: dict[str, int] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._meta = threading.Lock()
        self._next_sweep = time.monotonic() + _SWEEP_EVERY_S

    def _lock_for(self, db_id: str) -> threading.Lock:
        with self._meta:
            lock = self._locks.get(db_id)
            if lock is None:
                lock = self._locks[db_id] = threading.Lock()
            return lock

    def known_version(self, db_id: str) -> int | None:
        """The version the index reflects for ``db_id``, or None if not loaded."""
        return self._versions.get(db_id)

    def ensure(self, conn: Conn, db_id: str, version: int) -> None:
        """Makes the index reflect at least ``version`` of ``db_id`` (as read from ``fp_databases``)."""
        known = self._versions.get(db_id)
        if known is not None and known >= version:
            return
        with self._lock_for(db_id):
            known = self._versions.get(db_id)
            if known is None:
                self._load(conn, db_id, version)
            elif known < version:
                self._catch_up(conn, db_id, known, version)

    def _fetch_vectors(self, conn: Conn, db_id: str, after: int, upto: int) -> int:
        """Indexes the features of ``db_id`` added in versions ``(after, upto]``; returns how many."""
        n = 0
        # Each row comes back as one bytea (int8send(id) || vector_send(descriptor)) through a binary
        # cursor: about twice as fast as binary COPY, whose one-message-per-row costs Python time.
        with conn.cursor(binary=True) as cur:
            cur.execute(
                "SELECT int8send(id) || vector_send(descriptor) FROM fp_features"
                " WHERE db_id = %s AND version > %s AND version <= %s",
                (db_id, after, upto),
            )
            while rows := cur.fetchmany(_FETCH_ROWS):
                ids, vecs = decode_id_vectors(b"".join(cast(bytes, r[0]) for r in rows))
                self.index.add(db_id, ids.tolist(), vecs)
                n += ids.shape[0]
        return n

    def _load(self, conn: Conn, db_id: str, version: int) -> None:
        t0 = time.perf_counter()
        self.index.drop(db_id)
        with conn.transaction():
            n = self._fetch_vectors(conn, db_id, -1, version)
        self._versions[db_id] = version
        log.info(
            "PostgreSQL store: loaded %d descriptors of database %s (version %d) in %.0f ms",
            n, db_id, version, 1000 * (time.perf_counter() - t0),
        )

    def _catch_up(self, conn: Conn, db_id: str, known: int, version: int) -> None:
        with conn.transaction():
            self._fetch_vectors(conn, db_id, known, version)
            rows = conn.execute(
                "SELECT id FROM fp_feature_deletions WHERE db_id = %s AND version > %s AND version <= %s",
                (db_id, known, version),
            ).fetchall()
        if rows:
            self.index.remove(db_id, [int(r[0]) for r in rows])  # type: ignore[call-overload]
        self._versions[db_id] = version

    def applied_add(
        self, db_id: str, old: int, new: int, ids: Sequence[int], vectors: npt.NDArray[np.float32]
    ) -> None:
        """After this node committed ``old -> new`` adding ``ids``: applies them directly if the index is
        exactly at ``old`` (otherwise the next search catches up from the record)."""
        if self._versions.get(db_id) != old:
            return
        with self._lock_for(db_id):
            if self._versions.get(db_id) == old:
                self.index.add(db_id, ids, vectors)
                self._versions[db_id] = new

    def applied_remove(self, db_id: str, old: int, new: int, ids: Sequence[int]) -> None:
        """After this node committed ``old -> new`` deleting ``ids`` (see :meth:`applied_add`)."""
        if self._versions.get(db_id) != old:
            return
        with self._lock_for(db_id):
            if self._versions.get(db_id) == old:
                self.index.remove(db_id, ids)
                self._versions[db_id] = new

    def forget(self, db_id: str) -> None:
        """Drops a database that no longer exists."""
        with self._lock_for(db_id):
            self.index.drop(db_id)
            self._versions.pop(db_id, None)
        with self._meta:
            self._locks.pop(db_id, None)

    def sweep(self, conn: Conn, force: bool = False) -> None:
        """Every minute (or when forced), forgets loaded databases deleted through other nodes."""
        now = time.monotonic()
        if not force and now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_EVERY_S
        loaded = list(self._versions)
        if not loaded:
            return
        rows = conn.execute("SELECT db_id FROM fp_databases WHERE db_id = ANY(%s)", (loaded,)).fetchall()
        alive = {str(r[0]) for r in rows}
        for db_id in loaded:
            if db_id not in alive:
                self.forget(db_id)
