"""One "API node" for the multi-process PostgreSQL tests: its own process, its own PostgresStore.

Run as ``python _pg_node.py CONNINFO``; it prints ``ready`` once the store is open, then answers one JSON
command per stdin line with one JSON line on stdout:

* ``{"op": "add", "app", "db", "vectors": [[128 floats], ...], "model"}`` -> ``{"ids": [id or null, ...]}``
* ``{"op": "fill", "app", "db", "n", "batch", "seed", "model"}``: n adds in calls of ``batch`` ->
  ``{"ok": count added, "full": count refused as DatabaseFull, "ids": [...]}``
* ``{"op": "delete", "app", "db", "feature_id"}`` -> ``{"done": true}``
* ``{"op": "search", "app", "db", "vector", "top_k", "model"}`` -> ``{"hits": [[feature_id, sim], ...]}``
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from faceprint.errors import DatabaseFull
from faceprint.storage.base import Feature, NewFeature
from faceprint.storage.postgres_store import PostgresStore


def _unit(rng: np.random.Generator, n: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    v = rng.standard_normal((n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _handle(store: PostgresStore, cmd: dict[str, Any]) -> dict[str, Any]:
    op = cmd["op"]
    if op == "add":
        vecs = np.asarray(cmd["vectors"], dtype=np.float32)
        res = store.add_features(cmd["app"], cmd["db"], [NewFeature(v) for v in vecs], cmd["model"])
        return {"ids": [r.feature_id if isinstance(r, Feature) else None for r in res]}
    if op == "fill":
        rng = np.random.default_rng(cmd["seed"])
        ok, full, ids = 0, 0, []
        left = cmd["n"]
        while left > 0:
            k = min(cmd["batch"], left)
            left -= k
            for r in store.add_features(cmd["app"], cmd["db"], [NewFeature(v) for v in _unit(rng, k)],
                                        cmd["model"]):
                if isinstance(r, Feature):
                    ok += 1
                    ids.append(r.feature_id)
                elif isinstance(r, DatabaseFull):
                    full += 1
                else:
                    raise r
        return {"ok": ok, "full": full, "ids": ids}
    if op == "delete":
        store.delete_feature(cmd["app"], cmd["db"], cmd["feature_id"])
        return {"done": True}
    if op == "search":
        (res,) = store.search(cmd["app"], [cmd["db"]], np.asarray(cmd["vector"], dtype=np.float32),
                              cmd["top_k"], -1.0, cmd["model"])
        if isinstance(res, Exception):
            return {"error": type(res).__name__}
        return {"hits": [[h.feature.feature_id, h.similarity] for h in res]}
    raise ValueError(op)


def main() -> None:
    store = PostgresStore(sys.argv[1], pool_size=2)
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                out = _handle(store, json.loads(line))
            except Exception as e:
                out = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(out), flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main()
