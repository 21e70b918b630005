"""The embedded store under kill -9, across reopen, and against a second owner."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from faceprint.errors import StoreLocked
from faceprint.storage.base import Feature, NewFeature
from faceprint.storage.sqlite_store import SqliteStore

MV = "dlib-resnet-v1"

# Adds one or three features at a time, forever; after add_features returns, prints "<i> <feature_id>" for
# each acknowledged feature. Vector i is reproducible from its index.
_CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pathlib import Path
    from faceprint.storage.base import NewFeature
    from faceprint.storage.sqlite_store import SqliteStore

    def vec(i):
        v = np.random.default_rng(i).standard_normal(128).astype(np.float32)
        return v / np.linalg.norm(v)

    store = SqliteStore(Path(sys.argv[1]))
    app, db, mv = sys.argv[2], sys.argv[3], sys.argv[4]
    i = 0
    while True:
        n = 1 + 2 * (i % 2)
        res = store.add_features(app, db, [NewFeature(vec(i + j), key=str(i + j)) for j in range(n)], mv)
        for j, f in enumerate(res):
            print(i + j, f.feature_id, flush=True)
        i += n
    """
)


def vec(i: int) -> np.ndarray:
    v = np.random.default_rng(i).standard_normal(128).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


def _setup(path: Path) -> tuple[str, str]:
    with SqliteStore(path) as store:
        app = store.create_app("crash", quota=1_000_000).app_id
        db = store.create_database(app, "crash", "", 1_000_000, MV).db_id
        # Some features before the stream, and one deleted, so the reopen rebuilds a non-trivial index.
        fs = store.add_features(app, db, [NewFeature(vec(10**6 + i)) for i in range(50)], MV)
        first = fs[0]
        assert isinstance(first, Feature)
        store.delete_feature(app, db, first.feature_id)
    return app, db


@pytest.mark.parametrize("acks_before_kill", [1, 150])
def test_kill_9_keeps_every_acknowledged_add(tmp_path: Path, acks_before_kill: int) -> None:
    path = tmp_path / "faceprint.db"
    app, db = _setup(path)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), app, db, MV],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acked: dict[int, str] = {}
    try:
        while len(acked) < acks_before_kill:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"the writer died early: {child.stderr.read() if child.stderr else ''}")
            i, fid = line.split()
            acked[int(i)] = fid
    finally:
        os.kill(child.pid, signal.SIGKILL)  # mid-stream: it is adding as fast as it can
        rest, _ = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # acknowledged before the kill landed, still in the pipe
        i, fid = line.split()
        acked[int(i)] = fid

    # Nothing half-written: the file is consistent and sizes agree with the rows.
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (rows,) = raw.execute("SELECT COUNT(*) FROM features WHERE db_id = ?", (db,)).fetchone()
        (size,) = raw.execute("SELECT size FROM databases WHERE db_id = ?", (db,)).fetchone()
        assert rows == size
        assert raw.execute("SELECT COUNT(*) FROM features WHERE length(vector) != 512").fetchone() == (0,)
    raw.close()

    with SqliteStore(path) as store:  # opens: the dead writer's lock is gone with it
        database = store.get_database(app, db)
        assert database.size == rows >= 49 + len(acked)
        assert store.index.count(db) == database.size
        for i, fid in acked.items():
            f = store.get_feature(app, db, fid)
            assert f.key == str(i)
        for i in list(acked)[:: max(1, len(acked) // 25)]:
            (hits,) = store.search(app, [db], vec(i), 1, 0.0, MV)
            assert isinstance(hits, list)
            assert hits[0].feature.feature_id == acked[i]
            assert hits[0].similarity == pytest.approx(1.0, abs=1e-5)
        # The store takes writes again, and the ids handed out never collide with the dead writer's.
        res = store.add_features(app, db, [NewFeature(vec(2**31))], MV)
        assert isinstance(res[0], Feature) and res[0].feature_id not in acked.values()


def test_reopen_restores_everything(tmp_path: Path) -> None:
    path = tmp_path / "faceprint.db"
    with SqliteStore(path) as store:
        app = store.create_app("a", quota=100).app_id
        store.add_key(app, "key-1", b"sealed")
        db = store.create_database(app, "d", "desc", 60, MV)
        fs = store.add_features(app, db.db_id, [NewFeature(vec(i), key=f"k{i}") for i in range(40)], MV)
        gone = fs[3]
        assert isinstance(gone, Feature)
        store.delete_feature(app, db.db_id, gone.feature_id)
        before = store.search(app, [db.db_id], vec(5), 10, -1.0, MV)
    with SqliteStore(path) as store:
        assert store.get_app(app).quota == 100
        key = store.get_key("key-1")
        assert key is not None and key.sealed_secret == b"sealed"
        assert store.get_database(app, db.db_id).size == 39
        (after,) = store.search(app, [db.db_id], vec(5), 10, -1.0, MV)
        assert isinstance(after, list) and isinstance(before[0], list)
        assert [h.feature for h in after] == [h.feature for h in before[0]]
        assert [h.similarity for h in after] == pytest.approx([h.similarity for h in before[0]], abs=1e-6)
        (hits,) = store.search(app, [db.db_id], vec(3), 1, 0.99, MV)
        assert hits == []
        with pytest.raises(Exception, match="quota"):
            store.create_database(app, "e", "", 41, MV)


def test_a_second_owner_gets_store_locked(tmp_path: Path) -> None:
    path = tmp_path / "faceprint.db"
    probe = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from faceprint.errors import StoreLocked
        from faceprint.storage.sqlite_store import SqliteStore
        try:
            SqliteStore(Path(sys.argv[1])).close()
        except StoreLocked as e:
            print("locked", e.internal_code)
        else:
            print("opened")
        """
    )

    def other_process() -> str:
        r = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    store = SqliteStore(path)
    try:
        assert other_process() == "locked 4102"
        with pytest.raises(StoreLocked):
            SqliteStore(path)  # a second owner inside this process is refused too
        store.create_app("still-works", quota=1)
    finally:
        store.close()
    assert other_process() == "opened"
    with SqliteStore(path) as again:
        assert [a.name for a in again.list_apps()] == ["still-works"]


def test_a_schema_1_store_migrates_keeping_rows_ids_and_high_water_mark(tmp_path: Path) -> None:
    """Schema 1 held only 128-value descriptors; opening it rebuilds the features table for any dimension
    without losing a row, a row id or the AUTOINCREMENT mark (a deleted row's id is never handed out again),
    and a 512-value database then lives beside the old one, across a reopen."""
    from faceprint.storage import _sqlite_schema as schema

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.executescript("BEGIN;" + schema._MIGRATIONS[0] + "INSERT INTO schema_version VALUES (1); COMMIT;")
    conn.execute("INSERT INTO apps VALUES ('a1', 'old', 1000, 0)")
    conn.execute("INSERT INTO databases (db_id, app_id, name, description, max_size, size, model_version, "
                 "created_at) VALUES ('d1', 'a1', 'old', '', 100, 2, ?, 0)", (MV,))
    for rid in (1, 2, 3):
        conn.execute("INSERT INTO features VALUES (?, ?, 'd1', ?, '', 0, ?, ?)",
                     (rid, f"f{rid}", f"k{rid}", MV, schema.vector_to_blob(vec(rid))))
    conn.execute("DELETE FROM features WHERE row_id = 3")  # the mark stays at 3
    conn.commit()
    conn.close()
    with SqliteStore(path) as store:
        (got,) = store.search("a1", ["d1"], vec(2), 1, -1.0, MV)
        assert isinstance(got, list) and got[0].feature.feature_id == "f2"
        big = store.create_database("a1", "wide", "", 10, "user-arcface:c1")
        wide = np.random.default_rng(1).standard_normal(512).astype(np.float32)
        (f,) = store.add_features("a1", big.db_id, [NewFeature(wide)], "user-arcface:c1")
        assert isinstance(f, Feature)
    with SqliteStore(path) as store:
        (old, new) = store.search("a1", ["d1"], vec(1), 5, -1.0, MV), store.search(
            "a1", [big.db_id], wide / np.linalg.norm(wide), 1, -1.0, "user-arcface:c1")
        assert isinstance(old[0], list) and [h.feature.key for h in old[0]] == ["k1", "k2"]
        assert isinstance(new[0], list) and new[0][0].similarity == pytest.approx(1.0, abs=1e-5)
    conn = sqlite3.connect(path)
    row_ids = [r[0] for r in conn.execute("SELECT row_id FROM features ORDER BY row_id")]
    assert row_ids[:2] == [1, 2] and row_ids[2] > 3  # 3 was used once: never again
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == schema.SCHEMA_VERSION
    conn.close()
