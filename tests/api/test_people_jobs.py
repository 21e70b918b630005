"""Clustering and duplicates over HTTP on synthetic descriptors (no models needed): answers, jobs, polling,
the per-app job limit, tenant isolation and bad input. The real-photo tests are in test_people_photos.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.identity import pairwise_precision_recall
from faceprint.identity.synthetic import synthetic_faces
from faceprint.settings import Settings
from faceprint.storage.base import Feature, FeatureStore, NewFeature
from tests.api.conftest import Signed, make_tenant


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_dir=tmp_path / "no-models", max_jobs_per_app=1)


@pytest.fixture
def client(settings: Settings, store: FeatureStore) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=None, store=store)) as c:
        yield c


@pytest.fixture
def big(client: TestClient, store: FeatureStore, settings: Settings) -> Signed:
    return Signed(client, make_tenant(store, settings, quota=100_000, name="big"))


def _db_with(api: Signed, store: FeatureStore, vectors: np.ndarray, keys: list[str]) -> tuple[str, list[str]]:
    r = api.post("/databases", {"name": "people", "max_size": len(vectors) + 10})
    assert r.status_code == 200, r.text
    db_id, mv = r.json()["db_id"], r.json()["model_version"]
    ids: list[str] = []
    for s in range(0, len(vectors), 2000):
        items = [NewFeature(v, key=k) for v, k in zip(vectors[s : s + 2000], keys[s : s + 2000], strict=True)]
        got = store.add_features(api.tenant.app_id, db_id, items, mv)
        ids.extend(f.feature_id for f in got if isinstance(f, Feature))
    return db_id, ids


def test_cluster_answers_the_identities_largest_first_and_deterministic(big: Signed, store: FeatureStore) -> None:
    vecs, labels = synthetic_faces(600, 60, seed=3)
    db_id, ids = _db_with(big, store, vecs, [f"k{i}" for i in range(len(vecs))])
    r = big.post(f"/databases/{db_id}/cluster", {"wait_s": 30})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "done" and body["kind"] == "cluster" and body["progress"] == 1.0
    out = body["cluster"]
    assert out["threshold"] == 0.955 and out["features"] == 600
    sizes = [c["size"] for c in out["clusters"]]
    assert sizes == sorted(sizes, reverse=True) and all(s >= 2 for s in sizes)
    assert all(0.955 <= c["cohesion"] <= 1.0 for c in out["clusters"])
    label_of = dict(zip(ids, labels.tolist(), strict=True))
    predicted: dict[str, int] = {}
    for n, c in enumerate(out["clusters"]):
        assert c["size"] == len(c["features"]) == sum(c["keys"].values())
        predicted.update({m["feature_id"]: n for m in c["features"]})
    for m in out["alone"]:
        predicted[m["feature_id"]] = -1 - len(predicted)
    assert sorted(predicted) == sorted(ids)
    p, rec = pairwise_precision_recall([predicted[i] for i in ids], [label_of[i] for i in ids])
    assert p >= 0.99 and rec >= 0.97, (p, rec)
    again = big.post(f"/databases/{db_id}/cluster", {"wait_s": 30}).json()["cluster"]
    assert again["clusters"] == out["clusters"] and again["alone"] == out["alone"]
    # A stricter threshold splits people apart, never joins them.
    strict = big.post(f"/databases/{db_id}/cluster", {"threshold": 0.99, "wait_s": 30}).json()["cluster"]
    assert len(strict["alone"]) > len(out["alone"])


def test_a_long_job_is_polled_limited_per_app_and_cancelled(big: Signed, store: FeatureStore) -> None:
    vecs, _ = synthetic_faces(12_000, 1_200, seed=4)
    db_id, _ = _db_with(big, store, vecs, [""] * len(vecs))
    r = big.post(f"/databases/{db_id}/cluster", {"wait_s": 0})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "running" and job["cluster"] is None and job["finished_at"] == 0.0
    # max_jobs_per_app=1 here: a second job of the same app waits for the first.
    r2 = big.post(f"/databases/{db_id}/duplicates", {"wait_s": 0})
    assert r2.status_code == 429 and r2.json()["internal_code"] == 3005, r2.text
    d = big.delete(f"/jobs/{job['job_id']}")
    assert d.status_code == 200 and d.json()["job_id"] == job["job_id"]
    assert big.get(f"/jobs/{job['job_id']}").json()["internal_code"] == 2008
    r3 = big.post(f"/databases/{db_id}/cluster", {"wait_s": 0})
    assert r3.status_code in (200, 202), r3.text
    polled = big.get(f"/jobs/{r3.json()['job_id']}?wait_s=60").json()
    assert polled["status"] == "done" and polled["cluster"]["features"] == 12_000
    assert len(polled["cluster"]["clusters"]) > 900


def test_jobs_are_per_tenant(big: Signed, api: Signed, store: FeatureStore) -> None:
    vecs, _ = synthetic_faces(50, 10, seed=5)
    db_id, _ = _db_with(big, store, vecs, ["a"] * 50)
    job = big.post(f"/databases/{db_id}/cluster", {}).json()
    assert job["status"] == "done"
    other = api  # another app of the same server
    for r in (other.get(f"/jobs/{job['job_id']}"), other.delete(f"/jobs/{job['job_id']}")):
        assert r.status_code == 404 and r.json()["internal_code"] == 2008, r.text
    r = other.post(f"/databases/{db_id}/cluster", {})
    assert r.status_code == 404 and r.json()["internal_code"] == 2002
    assert big.get(f"/jobs/{job['job_id']}").json()["cluster"] == job["cluster"]


def test_bad_input_is_refused_with_its_code(big: Signed, store: FeatureStore) -> None:
    db_id, _ = _db_with(big, store, synthetic_faces(5, 2, seed=6)[0], [""] * 5)
    cases = [
        ("/cluster", {"threshold": 1.5}, 400, 1311),
        ("/cluster", {"threshold": "high"}, 400, 1311),
        ("/cluster", {"wait_s": 3600}, 400, 1000),
        ("/duplicates", {"limit": 0}, 400, 1000),
        ("/duplicates", {"same_photo_score": -0.1}, 400, 1311),
    ]
    for path, body, status, code in cases:
        r = big.post(f"/databases/{db_id}{path}", body)
        assert (r.status_code, r.json()["internal_code"]) == (status, code), (path, body, r.text)
    r = big.post("/databases/7b1d6c0e-0000-4000-8000-000000000000/cluster", {})
    assert (r.status_code, r.json()["internal_code"]) == (404, 2002)
    assert big.get("/jobs/nope").json()["internal_code"] == 2008
    r = big.post(f"/databases/{db_id}/verify", {"image": {"data": "x"}, "key": ""})
    assert (r.status_code, r.json()["internal_code"]) == (400, 1301)


def test_an_empty_or_one_feature_database_clusters_to_nothing(big: Signed, store: FeatureStore) -> None:
    db_id, _ = _db_with(big, store, np.empty((0, 128), np.float32), [])
    out = big.post(f"/databases/{db_id}/cluster", {}).json()["cluster"]
    assert (out["clusters"], out["alone"], out["features"]) == ([], [], 0)
    db2, ids = _db_with(big, store, synthetic_faces(1, 1, seed=7)[0], ["solo"])
    out = big.post(f"/databases/{db2}/cluster", {}).json()["cluster"]
    assert out["alone"] == [{"feature_id": ids[0], "key": "solo"}]


def test_duplicates_finds_a_copy_and_one_person_under_two_keys(big: Signed, store: FeatureStore) -> None:
    vecs, labels = synthetic_faces(200, 40, seed=8)
    keys = [f"p{label}" for label in labels]
    first = int(np.flatnonzero(labels == labels[0])[1])  # another photo of person labels[0]
    vecs = np.vstack([vecs, vecs[5:6], vecs[first : first + 1]])
    keys += [keys[5], "someone-else"]
    db_id, ids = _db_with(big, store, vecs, keys)
    r = big.post(f"/databases/{db_id}/duplicates", {"threshold": 0.97})
    assert r.status_code == 200, r.text
    out = r.json()["duplicates"]
    pairs = {(p["a"]["feature_id"], p["b"]["feature_id"]): p for p in out["pairs"]}
    copy = pairs[(ids[5], ids[200])]
    assert copy["kind"] == "same_photo" and copy["score"] > 0.999
    other = pairs[(ids[first], ids[201])]
    assert other["kind"] == "same_photo"  # an exact copy under another key is still one photo
    persons = [p for p in out["pairs"] if p["kind"] == "same_person"]
    assert persons and all(p["a"]["key"] != p["b"]["key"] and p["score"] >= 0.97 for p in persons)
    assert any({p["a"]["key"], p["b"]["key"]} == {keys[first], "someone-else"} for p in persons)
    scores = [p["score"] for p in out["pairs"]]
    assert scores == sorted(scores, reverse=True) and out["found"] == len(out["pairs"])
    limited = big.post(f"/databases/{db_id}/duplicates", {"threshold": 0.97, "limit": 1}).json()["duplicates"]
    assert len(limited["pairs"]) == 1 and limited["found"] == out["found"]


def test_the_extensions_are_in_the_served_openapi_document_and_signed(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    p = "/openapi/face/v1/{app_id}"
    expected = {
        f"{p}/databases/{{db_id}}/cluster": {"post"}, f"{p}/databases/{{db_id}}/duplicates": {"post"},
        f"{p}/jobs/{{job_id}}": {"get", "delete"}, f"{p}/databases/{{db_id}}/verify": {"post"},
    }
    for path, methods in expected.items():
        assert set(doc["paths"][path]) == methods, path
        for m in methods:
            op = doc["paths"][path][m]
            assert op["security"] == [{"hmac": []}] and "Faceprint extension" in op["summary"]
    search = doc["components"]["schemas"]["SearchRequest"]["properties"]
    assert "group_by_key" in search and "Faceprint extension" in search["group_by_key"]["description"]
    assert "202" in doc["paths"][f"{p}/databases/{{db_id}}/cluster"]["post"]["responses"]
    # Mercury's own paths are exactly as before (none gained a method).
    assert set(doc["paths"][f"{p}/databases/search"]) == {"post"}
    assert set(doc["paths"][f"{p}/databases/{{db_id}}"]) == {"get", "delete"}


def test_unsigned_extension_calls_are_refused_like_mercury_ones(client: TestClient, big: Signed) -> None:
    r = client.post(f"/openapi/face/v1/{big.tenant.app_id}/databases/x/cluster", json={})
    assert r.status_code == 401 and set(r.json()) == {"message"}
