"""PostgreSQL-specific behaviour beyond the shared contract suite: migrations, the per-node index kept in step
with the record, and limits under concurrent writers (threads here; processes in test_postgres_nodes.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest

from faceprint.errors import DatabaseNotFound, InternalError, QuotaExceeded, TooManyKeys
from faceprint.storage._pg_schema import LATEST_VERSION
from faceprint.storage.base import Feature, FeatureStore, NewFeature
from faceprint.storage.postgres_store import PostgresStore
from tests.storage.pg_support import fresh_database_url

MODEL = "dlib-resnet-v1"


def _unit(seed: int, n: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    v = np.random.default_rng(seed).standard_normal((n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database_url() as u:
        yield u


@pytest.fixture
def two(url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    with PostgresStore(url, pool_size=2) as a, PostgresStore(url, pool_size=2) as b:
        yield a, b


def _ids(store: FeatureStore, app: str, db: str, q: np.ndarray[Any, Any], k: int = 10) -> list[str]:
    (res,) = store.search(app, [db], q, k, -1.0, MODEL)
    assert isinstance(res, list)
    return [h.feature.feature_id for h in res]


def test_is_a_feature_store_and_records_its_schema_version(url: str) -> None:
    with PostgresStore(url) as s:
        assert isinstance(s, FeatureStore)
    with PostgresStore(url):  # reopening applies nothing twice
        pass
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM fp_schema_version ORDER BY 1").fetchall()
        assert [r[0] for r in rows] == list(range(1, LATEST_VERSION + 1))
        assert conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                            " WHERE attrelid = 'fp_features'::regclass AND attname = 'descriptor'"
                            ).fetchone() == ("vector",)  # any dimension since migration 2


def test_a_node_loads_descriptors_of_any_dimension_from_the_database(url: str) -> None:
    """A 512-value database written by one node is read back by a fresh node (the binary decode reads each
    database at its own dimension), beside a 128-value one."""
    rng = np.random.default_rng(9)
    wide = rng.normal(size=(20, 512)).astype(np.float32)
    wide /= np.linalg.norm(wide, axis=1, keepdims=True)
    narrow = rng.normal(size=(20, 128)).astype(np.float32)
    narrow /= np.linalg.norm(narrow, axis=1, keepdims=True)
    with PostgresStore(url) as s:
        app = s.create_app("dims", quota=1000).app_id
        dw = s.create_database(app, "wide", "", 100, "user-arcface:c1").db_id
        dn = s.create_database(app, "narrow", "", 100, MODEL).db_id
        ids_w = [f.feature_id for f in s.add_features(app, dw, [NewFeature(v) for v in wide], "user-arcface:c1")
                 if not isinstance(f, Exception)]
        s.add_features(app, dn, [NewFeature(v) for v in narrow], MODEL)
    with PostgresStore(url) as fresh:
        (w,) = fresh.search(app, [dw], wide[4], 2, -1.0, "user-arcface:c1")
        (n,) = fresh.search(app, [dn], narrow[4], 2, -1.0, MODEL)
        assert isinstance(w, list) and w[0].feature.feature_id == ids_w[4]
        assert w[0].similarity == pytest.approx(1.0, abs=1e-5)
        assert isinstance(n, list) and n[0].similarity == pytest.approx(1.0, abs=1e-5)


def test_a_schema_newer_than_the_code_is_refused(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO fp_schema_version (version, description) VALUES (%s, 'future')",
                     (LATEST_VERSION + 1,))
    with pytest.raises(InternalError, match="newer"):
        PostgresStore(url)


def test_bulk_changes_on_one_node_reach_a_loaded_index_on_another(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    app = a.create_app("t", 100_000).app_id
    db = a.create_database(app, "d", "", 50_000, MODEL).db_id
    first = _unit(1, 500)
    a.add_features(app, db, [NewFeature(v) for v in first], MODEL)
    assert len(_ids(b, app, db, first[0], 1000)) == 500  # b loads the database now
    # More rows than one fetch batch of the catch-up, plus deletes of rows b already holds.
    more = _unit(2, 20_000)
    added = [r for r in a.add_features(app, db, [NewFeature(v) for v in more], MODEL) if isinstance(r, Feature)]
    gone = added[::1000]
    for f in gone:
        a.delete_feature(app, db, f.feature_id)
    assert b.index_lag() == {db: 1 + len(gone)}  # one version per write; b catches up at its next search
    b.search(app, [db], first[0], 1, -1.0, MODEL)
    assert b.index_lag() == {db: 0}
    assert b._sync.index.count(db) == 500 + 20_000 - len(gone)
    for i in (1, 999, 5001, 19_999):
        assert _ids(b, app, db, more[i], 1) == [added[i].feature_id]
    for i in (0, 1000, 19_000):  # deleted: its own descriptor no longer finds it
        assert added[i].feature_id not in _ids(b, app, db, more[i], 10)


def test_extra_info_updates_and_database_deletes_are_seen_by_other_nodes(
    two: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two
    app = a.create_app("t", 1000).app_id
    db = a.create_database(app, "d", "", 100, MODEL).db_id
    v = _unit(3, 3)
    (f, _, _) = a.add_features(app, db, [NewFeature(x, key="k") for x in v], MODEL)
    assert isinstance(f, Feature)
    b.search(app, [db], v[0], 1, -1.0, MODEL)
    a.update_extra_info(app, db, f.feature_id, "badge 7")
    (res,) = b.search(app, [db], v[0], 1, -1.0, MODEL)
    assert isinstance(res, list) and res[0].feature.extra_info == "badge 7"
    a.delete_database(app, db)
    (res,) = b.search(app, [db], v[0], 1, -1.0, MODEL)
    assert isinstance(res, DatabaseNotFound)
    assert b._sync.known_version(db) is None and b._sync.index.count(db) == 0


def test_quota_and_key_limits_hold_under_concurrent_writers(two: tuple[PostgresStore, PostgresStore]) -> None:
    a, b = two
    app = a.create_app("t", 100).app_id
    outcomes: list[str] = []

    def create(store: PostgresStore) -> None:
        try:
            store.create_database(app, "d", "", 30, MODEL)
            outcomes.append("ok")
        except QuotaExceeded:
            outcomes.append("quota")

    def add_key(store: PostgresStore, i: int) -> None:
        try:
            store.add_key(app, f"key-{i}", b"sealed")
            outcomes.append("key")
        except TooManyKeys:
            outcomes.append("too many")

    threads = [threading.Thread(target=create, args=(s,)) for s in (a, b) * 3]
    threads += [threading.Thread(target=add_key, args=(s, i)) for i, s in enumerate((a, b) * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(["ok"] * 3 + ["quota"] * 3 + ["key"] * 2 + ["too many"] * 2)
    assert sum(d.max_size for d in a.list_databases(app)) == 90
    assert len([k for k in b.list_keys(app) if k.active]) == 2
