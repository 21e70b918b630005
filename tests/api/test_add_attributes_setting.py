"""FACEPRINT_ADD_ATTRIBUTES: batch add with and without attribute estimation, same features stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.engine import Engine
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from tests.api.conftest import Signed, Tenant


@pytest.fixture
def fast_api(settings: Settings, store: FeatureStore, engine: Engine, tenant: Tenant) -> Iterator[Signed]:
    app = create_app(settings.model_copy(update={"add_attributes": False}), engine=engine, store=store)
    with TestClient(app) as c:
        yield Signed(c, tenant)


def _add(api: Signed, photo: str) -> dict[str, Any]:
    db = api.post("/databases", {"name": "enrol", "max_size": 10}).json()["db_id"]
    r = api.post(f"/databases/{db}/features", {"images": [{"image": {"data": photo}, "key": "k"}]})
    assert r.status_code == 200 and r.json()["results"][0]["code"] == 0
    return r.json()["features"][0]


def test_batch_add_without_attributes_still_stores_and_finds(
    fapi: Signed, fast_api: Signed, photos: dict[str, str]
) -> None:
    full = _add(fapi, photos["jolie1"])
    fast = _add(fast_api, photos["jolie1"])
    assert full["face"]["attributes"]["gender_code"] == "FEMALE"
    assert fast["face"]["attributes"]["gender_code"] == ""
    # the stored descriptor is the same: a search finds the fast-added feature first
    db_ids = fast_api.get("/databases").json()["databases"]
    r = fast_api.post("/databases/search", {"image": {"data": photos["jolie2"]}, "db_ids": db_ids, "top_k": 5})
    hits = [h for batch in r.json()["batches"] for h in batch["features"]]
    assert fast["feature_id"] in {h["feature"]["feature_id"] for h in hits}
    assert min(h["score"] for h in hits) > 0.955
