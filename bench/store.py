"""Feature-store benchmark: adds, 1:N search, memory and time to open, against a numpy brute force.

Seeded descriptors shaped like face descriptors (identities with 5 noisy copies each, different identities
~0.55 cosine apart around a shared mean as real face descriptors are, copies ~0.9). For each size:

* add throughput: batches of 1000, and API-like calls of 16 (each call one durable transaction);
* search p50/p95 (top_k 10; top_k 1000) in one database of N features, and in three at once (that database
  plus two of N/10), and the same query as a plain numpy float32 brute force (matmul + argpartition);
* the same 1-database search again in the fresh process that reopened the store;
* recall@10 of the store against the exact float32 answer (the store is exact: expect 1.000);
* time to open (a fresh process reopens the store from disk and rebuilds its index) and the resident memory
  that process holds per feature.

    .venv/bin/python bench/store.py                      # 10K, 100K, 1M, SQLite
    .venv/bin/python bench/store.py --quick              # 10K only, fewer queries
    .venv/bin/python bench/store.py --sizes 10000,100000 --backend both [--pg-url postgresql://...]

Targets on the 2-core reference machine: search p95 <= 10 ms at 1M, open <= 5 s at 1M, <= 1 KB per feature.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MV = "bench-model"
Opener = Callable[[], Any]


def descriptors(n: int, seed: int) -> np.ndarray:
    """n unit descriptors: identities of 5 copies; different identities ~0.55 cosine, copies ~0.9."""
    rng = np.random.default_rng(seed)
    mean = rng.standard_normal(128).astype(np.float32)
    mean /= np.linalg.norm(mean)
    ids = n // 5 + 1
    g = rng.standard_normal((ids, 128)).astype(np.float32)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    centres = np.sqrt(0.55) * mean + np.sqrt(0.45) * g
    out = np.empty((n, 128), dtype=np.float32)
    for s in range(0, n, 200_000):  # in chunks: bounded temporaries at 1M
        rows = np.arange(s, min(n, s + 200_000))
        x = centres[rows // 5] + rng.standard_normal((len(rows), 128)).astype(np.float32) * np.float32(0.028)
        out[rows] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def queries(vecs: np.ndarray, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = vecs[rng.integers(0, len(vecs), k)] + rng.standard_normal((k, 128)).astype(np.float32) * np.float32(0.03)
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def pct(ts: list[float]) -> tuple[float, float]:
    return float(np.percentile(ts, 50) * 1e3), float(np.percentile(ts, 95) * 1e3)


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def add_all(store: Any, app: str, db: str, vecs: np.ndarray, batch: int) -> tuple[list[str], float]:
    from faceprint.storage.base import Feature, NewFeature

    ids: list[str] = []
    t0 = time.perf_counter()
    for s in range(0, len(vecs), batch):
        res = store.add_features(app, db, [NewFeature(v) for v in vecs[s : s + batch]], MV)
        ids.extend(r.feature_id for r in res if isinstance(r, Feature))
    return ids, time.perf_counter() - t0


def brute_top(vecs: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    s = vecs @ q
    part = np.argpartition(-s, k - 1)[:k]
    return part[np.argsort(-s[part])]


def run_size(name: str, opener: Opener, reopen_cmd: list[str] | None, n: int, nq: int) -> dict[str, Any]:
    vecs = descriptors(n, seed=n)
    small = descriptors(max(1, n // 10), seed=n + 1)
    qs = queries(vecs, nq, seed=n + 2)
    row: dict[str, Any] = {"backend": name, "n": n}
    store = opener()
    try:
        app = store.create_app("bench", quota=n + 2 * len(small) + 10_000).app_id
        main = store.create_database(app, "main", "", n + 5000, MV).db_id
        side = [store.create_database(app, f"side{i}", "", len(small), MV).db_id for i in range(2)]
        fids, dt = add_all(store, app, main, vecs, 1000)
        row["add_per_s_batch1000"] = n / dt
        for db in side:
            add_all(store, app, db, small, 1000)
        api = descriptors(16 * 50, seed=7)
        extra, dt = add_all(store, app, main, api, 16)
        row["add_per_s_batch16"] = len(api) / dt
        for f in extra:  # keep the main database at exactly n
            store.delete_feature(app, main, f)
        pos = {f: i for i, f in enumerate(fids)}
        for key, dbs, k in (("1db", [main], 10), ("3db", [main, *side], 10), ("1db_k1000", [main], 1000)):
            ts, answers = [], []
            for q in qs:
                t0 = time.perf_counter()
                res = store.search(app, dbs, q, k, -1.0, MV)
                ts.append(time.perf_counter() - t0)
                answers.append(res[0])
            row[f"search_{key}"] = pct(ts)
            if key == "1db":  # after the timed loop: BLAS threads left spinning would slow the next search
                hit = sum(
                    len({pos[h.feature.feature_id] for h in a} & set(brute_top(vecs, q, 10).tolist()))
                    for q, a in zip(qs, answers, strict=True)
                )
                row["recall10"] = hit / (10 * len(qs))
        ts = []
        for q in qs:
            t0 = time.perf_counter()
            brute_top(vecs, q, 10)
            ts.append(time.perf_counter() - t0)
        row["numpy"] = pct(ts)
    finally:
        store.close()
    if reopen_cmd is not None:
        cmd = [*reopen_cmd, "--n", str(n), "--queries", str(nq)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=900)
        info = json.loads(out.stdout.strip().splitlines()[-1])
        row["open_s"] = info["open_s"]
        row["bytes_per_feature"] = info["rss_delta"] / (n + 2 * len(small))
        row["index_bytes_per_feature"] = info["index_bytes"] / (n + 2 * len(small))
        row["search_reopened"] = tuple(info["search_reopened"])
    return row


def reopen_main(args: argparse.Namespace) -> None:
    """Child mode: open the store fresh, report the time and the resident memory it took (JSON)."""
    import faceprint.storage.index  # noqa: F401 - imports outside the measurement

    base = rss_bytes()
    t0 = time.perf_counter()
    if args.backend == "sqlite":
        from faceprint.storage.sqlite_store import SqliteStore

        store: Any = SqliteStore(Path(args.reopen))
    else:
        from faceprint.storage.postgres_store import PostgresStore

        store = PostgresStore(args.reopen)
        store.warm()
    open_s = time.perf_counter() - t0
    index = store.index if hasattr(store, "index") else getattr(getattr(store, "_sync", None), "index", None)
    info: dict[str, Any] = {"open_s": open_s, "rss_delta": rss_bytes() - base}
    info["index_bytes"] = index.nbytes() if index else 0
    # Search again in this fresh process: no build-phase garbage, nothing else running in it.
    app = store.list_apps()[-1].app_id
    main_db = next(d for d in store.list_databases(app) if d.name == "main")
    qs = queries(descriptors(args.n, seed=args.n), args.queries, seed=args.n + 2)
    ts = []
    for q in qs:
        t0 = time.perf_counter()
        store.search(app, [main_db.db_id], q, 10, -1.0, MV)
        ts.append(time.perf_counter() - t0)
    info["search_reopened"] = pct(ts)
    store.close()
    print(json.dumps(info))


@contextlib.contextmanager
def sqlite_backend(tmp: Path, n: int, threads: int | None) -> Iterator[tuple[Opener, list[str]]]:
    from faceprint.storage.sqlite_store import SqliteStore

    path = tmp / f"store-{n}.db"
    yield (
        (lambda: SqliteStore(path, index_threads=threads)),
        [sys.executable, __file__, "--reopen", str(path), "--backend", "sqlite"],
    )
    for p in tmp.glob(f"store-{n}.db*"):
        p.unlink()


@contextlib.contextmanager
def postgres_backend(pg_url: str | None) -> Iterator[tuple[Opener, list[str]]]:
    from faceprint.storage.postgres_store import PostgresStore

    if pg_url:
        yield (lambda: PostgresStore(pg_url)), [sys.executable, __file__, "--reopen", pg_url, "--backend", "postgres"]
        return
    sys.path.insert(0, str(REPO))
    from tests.storage.pg_support import fresh_database_url

    with fresh_database_url() as url:
        yield (lambda: PostgresStore(url)), [sys.executable, __file__, "--reopen", url, "--backend", "postgres"]


def fmt(row: dict[str, Any]) -> str:
    def pp(key: str) -> str:
        v = row.get(key)
        return "-" if v is None else f"{v[0]:6.2f} /{v[1]:6.2f}"

    def num(key: str, spec: str) -> str:
        v = row.get(key)
        return "-" if v is None else format(v, spec)

    return (
        f"| {row['backend']:8} | {row['n']:>9,} | {num('add_per_s_batch1000', ',.0f'):>9} | "
        f"{num('add_per_s_batch16', ',.0f'):>7} | {pp('search_1db'):>15} | {pp('search_3db'):>15} | "
        f"{pp('search_1db_k1000'):>15} | {pp('search_reopened'):>15} | {pp('numpy'):>15} | "
        f"{num('recall10', '.3f'):>6} | "
        f"{num('open_s', '.2f'):>6} | {num('bytes_per_feature', ',.0f'):>6} | "
        f"{num('index_bytes_per_feature', ',.0f'):>5} |"
    )


HEADER = (
    "| backend  |  features | add/s 1000 | add/s 16 | search 1 db p50/p95 ms | 3 dbs p50/p95 | top 1000 p50/p95 | "
    "reopened 1 db p50/p95 | numpy f32 p50/p95 | rec@10 | open s | RSS B/feat | index B/feat |"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated feature counts")
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("FACEPRINT_TEST_PG_URL"), help="PostgreSQL URL (empty db)")
    ap.add_argument("--queries", type=int, default=200, help="queries per measurement")
    ap.add_argument("--quick", action="store_true", help="10K features and 50 queries")
    ap.add_argument("--threads", type=int, help="index scan threads (SQLite; default: up to 2 cores)")
    ap.add_argument("--reopen", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reopen:
        reopen_main(args)
        return
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    nq = 50 if args.quick else args.queries
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    from faceprint.storage import _scan

    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"numpy {np.__version__}, SIMD kernels: {_scan.HAVE_SIMD}; {nq} queries; top_k 10 unless said; "
        f"index threads: {args.threads or 'default'}"
    )
    print(HEADER)
    print("|" + "|".join("---" for _ in range(13)) + "|")
    with tempfile.TemporaryDirectory(prefix="faceprint-bench-") as tmpdir:
        for backend in backends:
            for n in sizes:
                if backend == "sqlite":
                    cm: Any = sqlite_backend(Path(tmpdir), n, args.threads)
                else:
                    cm = postgres_backend(args.pg_url)
                try:
                    with cm as (opener, reopen):
                        print(fmt(run_size(backend, opener, reopen, n, nq)), flush=True)
                except Exception as e:  # one backend's failure (e.g. no server) does not hide the others
                    print(f"| {backend} | {n:,} | failed: {type(e).__name__}: {e} |", flush=True)


if __name__ == "__main__":
    main()
