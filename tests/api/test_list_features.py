"""``GET databases/{db_id}/features``, the Faceprint extension that lists a database's features (the console's
Features page uses it), over each backend: pages in the order added, the key filter, the refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np

from faceprint.storage.base import FeatureStore, NewFeature
from tests.api.conftest import Signed, make_tenant


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return v / np.linalg.norm(v)


def _db_with(api: Signed, store: FeatureStore, keys: list[str]) -> tuple[str, list[str]]:
    db_id = api.post("/databases", {"name": "listed", "max_size": 100}).json()["db_id"]
    mv = store.get_database(api.tenant.app_id, db_id).model_version
    added = store.add_features(api.tenant.app_id, db_id,
                               [NewFeature(_vec(i), k, f'{{"n": {i}}}') for i, k in enumerate(keys)], mv)
    return db_id, [a.feature_id for a in added]  # type: ignore[union-attr]


def test_pages_in_the_order_added(api: Signed, store: FeatureStore) -> None:
    keys = [f"emp-{i}" for i in range(7)]
    db_id, ids = _db_with(api, store, keys)
    r = api.get(f"/databases/{db_id}/features?offset=0&limit=3")
    assert r.status_code == 200, r.text
    page = r.json()
    assert [f["feature_id"] for f in page["features"]] == ids[:3]
    assert [f["key"] for f in page["features"]] == keys[:3]
    assert page["features"][1]["extra_info"] == '{"n": 1}'
    assert (page["offset"], page["next_offset"]) == (0, 3)
    created = datetime.strptime(page["features"][0]["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(created.timestamp() - time.time()) < 60
    seen = []
    offset: int | None = 0
    while offset is not None:
        page = api.get(f"/databases/{db_id}/features?offset={offset}&limit=3").json()
        seen += [f["feature_id"] for f in page["features"]]
        offset = page["next_offset"]
    assert seen == ids
    # defaults: offset 0, limit 100; a deleted feature is gone from the list
    assert api.delete(f"/databases/{db_id}/features/{ids[2]}").status_code == 200
    whole = api.get(f"/databases/{db_id}/features").json()
    assert [f["feature_id"] for f in whole["features"]] == ids[:2] + ids[3:]
    assert whole["next_offset"] is None
    past = api.get(f"/databases/{db_id}/features?offset=50").json()
    assert (past["features"], past["next_offset"]) == ([], None)


def test_key_filter(api: Signed, store: FeatureStore) -> None:
    db_id, ids = _db_with(api, store, ["alice", "bob", "alice", "carol"])
    got = api.get(f"/databases/{db_id}/features?key=alice").json()["features"]
    assert [f["feature_id"] for f in got] == [ids[0], ids[2]]
    assert api.get(f"/databases/{db_id}/features?key=nobody").json()["features"] == []


def _err(r: object, status: int, internal: int) -> None:
    import httpx

    assert isinstance(r, httpx.Response)
    assert r.status_code == status, r.text
    assert r.json()["internal_code"] == internal


def test_refusals(api: Signed, store: FeatureStore) -> None:
    db_id, _ = _db_with(api, store, ["a"])
    _err(api.get(f"/databases/{db_id}/features?limit=0"), 400, 1310)
    _err(api.get(f"/databases/{db_id}/features?limit=1001"), 400, 1310)
    _err(api.get(f"/databases/{db_id}/features?offset=-1"), 400, 1310)
    _err(api.get(f"/databases/{db_id}/features?limit=ten"), 400, 1000)
    _err(api.get(f"/databases/{db_id}/features?key=not%20a%20key"), 400, 1301)
    _err(api.get("/databases/00000000-0000-0000-0000-000000000000/features"), 404, 2002)


def test_another_apps_database_is_not_found(api: Signed, store: FeatureStore) -> None:
    """A tenant cannot list another tenant's features: its db_id is unknown to it (code 5, as every call)."""
    db_id, _ = _db_with(api, store, ["secret"])
    other = Signed(api.client, make_tenant(store, api_settings(api)))
    _err(other.get(f"/databases/{db_id}/features"), 404, 2002)


def api_settings(api: Signed):  # type: ignore[no-untyped-def]
    return api.client.app.state.settings  # type: ignore[attr-defined]
