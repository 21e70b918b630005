"""Several API nodes on one PostgreSQL: separate OS processes, each with its own PostgresStore.

What a load balancer in front of many nodes relies on: a change committed through one node is seen by the
very next search on any other (the store catches up before every search, so no waiting is involved), limits
hold under concurrent writes from several nodes, and nodes starting together on an empty database migrate
it once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from faceprint.storage._pg_schema import LATEST_VERSION
from faceprint.storage.base import NewFeature
from faceprint.storage.postgres_store import PostgresStore
from tests.storage.pg_support import fresh_database_url

MODEL = "dlib-resnet-v1"
_NODE = Path(__file__).with_name("_pg_node.py")


class Node:
    """A child process running tests/storage/_pg_node.py."""

    def __init__(self, url: str, wait: bool = True) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(_NODE), url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._out, self._in = self.proc.stdout, self.proc.stdin
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        line = self._out.readline().strip()
        assert line == "ready", f"node did not start: {line!r}"

    def send(self, **cmd: Any) -> None:
        self._in.write(json.dumps(cmd) + "\n")
        self._in.flush()

    def reply(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self._out.readline())
        assert "error" not in out, out["error"]
        return out

    def call(self, **cmd: Any) -> dict[str, Any]:
        self.send(**cmd)
        return self.reply()

    def close(self) -> None:
        self._in.close()
        self.proc.wait(timeout=60)


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database_url() as u:
        yield u


@pytest.fixture
def nodes(url: str) -> Iterator[tuple[Node, Node]]:
    a, b = Node(url), Node(url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _unit(seed: int, n: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    v = np.random.default_rng(seed).standard_normal((n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _setup(url: str, max_size: int) -> tuple[str, str]:
    with PostgresStore(url, pool_size=1) as admin:
        app = admin.create_app("tenant", quota=10_000)
        db = admin.create_database(app.app_id, "people", "", max_size, MODEL)
    return app.app_id, db.db_id


def test_add_and_delete_on_one_node_are_seen_by_the_next_search_on_another(
    url: str, nodes: tuple[Node, Node]
) -> None:
    a, b = nodes
    app, db = _setup(url, 1000)
    base = _unit(1, 50)
    a.call(op="add", app=app, db=db, vectors=base.tolist(), model=MODEL)
    probe = _unit(2, 1)[0]
    # B loads the database now, so what follows exercises catching up rather than a first load.
    first = b.call(op="search", app=app, db=db, vector=probe.tolist(), top_k=5, model=MODEL)["hits"]
    assert len(first) == 5 and all(h[1] < 0.9 for h in first)

    (new_id,) = a.call(op="add", app=app, db=db, vectors=[probe.tolist()], model=MODEL)["ids"]
    hits = b.call(op="search", app=app, db=db, vector=probe.tolist(), top_k=5, model=MODEL)["hits"]
    assert hits[0][0] == new_id and hits[0][1] == pytest.approx(1.0, abs=1e-5)

    a.call(op="delete", app=app, db=db, feature_id=new_id)
    hits = b.call(op="search", app=app, db=db, vector=probe.tolist(), top_k=5, model=MODEL)["hits"]
    assert [h[0] for h in hits] == [h[0] for h in first]

    # Many interleaved changes from both nodes: each node's answer equals exact search over the record.
    ids_a = a.call(op="add", app=app, db=db, vectors=_unit(3, 40).tolist(), model=MODEL)["ids"]
    ids_b = b.call(op="add", app=app, db=db, vectors=_unit(4, 40).tolist(), model=MODEL)["ids"]
    for fid in ids_a[::3]:
        b.call(op="delete", app=app, db=db, feature_id=fid)
    for fid in ids_b[::4]:
        a.call(op="delete", app=app, db=db, feature_id=fid)
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, descriptor::text FROM fp_features WHERE db_id = %s", (db,)).fetchall()
    ids = [str(r[0]) for r in rows]
    mat = np.array([json.loads(r[1]) for r in rows], dtype=np.float32)
    for q in _unit(5, 5):
        expect = [ids[i] for i in np.argsort(-(mat @ q), kind="stable")[:10]]
        for node in (a, b):
            got = node.call(op="search", app=app, db=db, vector=q.tolist(), top_k=10, model=MODEL)["hits"]
            assert [h[0] for h in got] == expect


@pytest.mark.parametrize("batch", [1, 7])
def test_concurrent_adds_from_two_nodes_never_pass_max_size(
    url: str, nodes: tuple[Node, Node], batch: int
) -> None:
    a, b = nodes
    app, db = _setup(url, 100)
    a.send(op="fill", app=app, db=db, n=80, batch=batch, seed=1, model=MODEL)
    b.send(op="fill", app=app, db=db, n=80, batch=batch, seed=2, model=MODEL)
    ra, rb = a.reply(), b.reply()
    assert ra["ok"] + rb["ok"] == 100
    assert ra["full"] + rb["full"] == 60
    assert ra["ok"] > 0 and rb["ok"] > 0
    assert len(set(ra["ids"]) | set(rb["ids"])) == 100
    with psycopg.connect(url) as conn:
        size, count = conn.execute(
            "SELECT d.size, (SELECT count(*) FROM fp_features f WHERE f.db_id = d.db_id)"
            " FROM fp_databases d WHERE d.db_id = %s", (db,)
        ).fetchone() or (None, None)
    assert size == count == 100
    hits = a.call(op="search", app=app, db=db, vector=_unit(9, 1)[0].tolist(), top_k=1000, model=MODEL)
    assert len(hits["hits"]) == 100


def test_nodes_opening_an_empty_database_together_migrate_it_once() -> None:
    with fresh_database_url(with_schema=False) as url:
        errors: list[BaseException] = []
        stores: list[PostgresStore] = []

        def open_one() -> None:
            try:
                stores.append(PostgresStore(url, pool_size=1))
            except BaseException as e:  # reported below
                errors.append(e)

        procs = [Node(url, wait=False) for _ in range(2)]
        threads = [threading.Thread(target=open_one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for p in procs:
            p.wait_ready()
            p.close()
        for s in stores:
            s.close()
        assert not errors
        with psycopg.connect(url) as conn:
            versions = [r[0] for r in conn.execute("SELECT version FROM fp_schema_version ORDER BY 1")]
        assert versions == list(range(1, LATEST_VERSION + 1))


def test_feature_ids_are_never_reused_across_nodes_and_databases(url: str, nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app, db = _setup(url, 50)
    seen: set[str] = set()
    for i in range(3):
        for node in (a, b):
            ids = node.call(op="add", app=app, db=db, vectors=_unit(10 + i, 5).tolist(), model=MODEL)["ids"]
            assert seen.isdisjoint(ids)
            seen.update(ids)
            for fid in ids:
                node.call(op="delete", app=app, db=db, feature_id=fid)
    with PostgresStore(url, pool_size=1) as s:
        db2 = s.create_database(app, "other", "", 5, MODEL)
        (f,) = s.add_features(app, db2.db_id, [NewFeature(_unit(99, 1)[0])], MODEL)
    assert not isinstance(f, Exception) and f.feature_id not in seen
