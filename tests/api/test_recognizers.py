"""Recogniser packs over HTTP: databases of different packs (and a user's pack added and calibrated with the
command line) created, filled and searched together, each scored by its own calibration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.cli.main import main as cli
from faceprint.engine import Engine
from faceprint.engine.recognizers.packs import LEGACY_MAP, USER_PACKS_FILE
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from tests.api.conftest import Signed, Tenant
from tests.engine.test_recognizers import linked_cache, user_entry


@pytest.fixture(scope="module")
def user_cache(model_dir: Path, faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache with a user's pack, added and calibrated by ``faceprint models add|calibrate``."""
    root = tmp_path_factory.mktemp("user-pack")
    cache = linked_cache(model_dir, root / "models")
    entry = root / "entry.json"
    entry.write_text(json.dumps(user_entry(file="my-arcface.onnx")))
    source = model_dir / "face_recognition_sface_2021dec.onnx"
    assert cli(["models", "add", str(source), "--entry", str(entry), "--model-dir", str(cache)]) == 0
    assert cli(["models", "calibrate", str(faces_dir), "--pack", "my-arcface", "--model-dir", str(cache)]) == 0
    # a shipped pack is calibrated in the manifest, not by the user
    assert cli(["models", "calibrate", str(faces_dir), "--pack", "dlib-resnet-v1", "--model-dir", str(cache)]) == 1
    return cache


@pytest.fixture(scope="module")
def user_engine(user_cache: Path) -> Engine:
    return Engine(user_cache, threads=1)


@pytest.fixture
def rapi(settings: Settings, store: FeatureStore, user_engine: Engine, tenant: Tenant) -> Iterator[Signed]:
    app = create_app(settings, engine=user_engine, store=store)
    with TestClient(app) as c:
        yield Signed(c, tenant)


def _create(api: Signed, **extra: Any) -> dict[str, Any]:
    r = api.post("/databases", {"name": "people", "max_size": 100, **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _add(api: Signed, db_id: str, photos: dict[str, str], keys: list[str]) -> None:
    r = api.post(f"/databases/{db_id}/features", {"images": [{"image": {"data": photos[k]}, "key": k} for k in keys]})
    assert r.status_code == 200 and all(x["code"] == 0 for x in r.json()["results"]), r.text


def test_info_lists_every_pack_with_its_thresholds(rapi: Signed) -> None:
    info = rapi.get("/info").json()
    packs = {p["name"]: p for p in info["recognizers"]}
    assert set(packs) == {"dlib-resnet-v1", "dlib-resnet-v1-int8", "sface-2021dec", "sface-2021dec-int8",
                          "sface+dlib", "sface+dlib-int8", "my-arcface"}
    assert info["feature_version"] == 4 and info["model_version"] == packs["sface-2021dec-int8"]["model_version"]
    assert packs["sface-2021dec-int8"]["default"] and not packs["sface-2021dec"]["default"]
    assert not packs["my-arcface"]["shipped"] and packs["my-arcface"]["calibration"] == 1
    for p in packs.values():
        assert [(t["far"], t["score"]) for t in p["thresholds"]] == [(1e-2, 0.94), (1e-3, 0.955), (1e-4, 0.97),
                                                                     (1e-5, 0.98)]


def test_feature_version_picks_the_pack_of_a_new_database(rapi: Signed) -> None:
    assert _create(rapi)["feature_version"] == 4  # SFace in int8 by default
    assert _create(rapi, feature_version=1)["feature_version"] == 1
    made = _create(rapi, feature_version=100)
    got = rapi.get(f"/databases/{made['db_id']}").json()
    assert got["feature_version"] == 100 and got["model_version"] == "my-arcface:c1"
    for bad in (77, "2", 0, True):
        r = rapi.post("/databases", {"name": "x", "max_size": 10, "feature_version": bad})
        assert r.status_code == 400 and r.json()["internal_code"] == 1309, (bad, r.text)
    assert len(rapi.get("/databases").json()["databases"]) == 3  # nothing made by the refused ones


def test_databases_of_four_packs_searched_together(rapi: Signed, photos: dict[str, str]) -> None:
    dbs = [_create(rapi)["db_id"], _create(rapi, feature_version=1)["db_id"],
           _create(rapi, feature_version=100)["db_id"], _create(rapi, feature_version=2)["db_id"]]
    for db in dbs:
        _add(rapi, db, photos, ["jolie1", "damon1", "obama1"])
    r = rapi.post("/databases/search", {"image": {"data": photos["jolie2"]}, "db_ids": [*dbs, "nope"], "top_k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["code"] for x in body["results"]] == [0, 0, 0, 0, 5]
    for batch in body["batches"][:4]:
        hits = batch["features"]
        assert hits[0]["feature"]["key"] == "jolie1" and hits[0]["score"] >= 0.955
        assert all(h["score"] < 0.94 for h in hits[1:])  # strangers below the FAR 1e-2 score
    # min_score is applied per database through its own map
    r = rapi.post("/databases/search", {"image": {"data": photos["damon2"]}, "db_ids": dbs, "min_score": 0.955})
    assert [[h["feature"]["key"] for h in b["features"]] for b in r.json()["batches"]] == [["damon1"]] * 4


def test_a_database_made_before_packs_keeps_its_scores(
    rapi: Signed, store: FeatureStore, tenant: Tenant, photos: dict[str, str], user_engine: Engine
) -> None:
    """A dlib database of the original model_version scores by the original map, (1 + cos) / 2, even now
    that dlib has a calibration: an existing database's scores never change silently."""
    old = store.create_database(tenant.app_id, "old", "", 10, "dlib-resnet-v1")
    got = rapi.get(f"/databases/{old.db_id}").json()
    assert got["feature_version"] == 1 and got["model_version"] == "dlib-resnet-v1"
    _add(rapi, old.db_id, photos, ["jolie1"])
    r = rapi.post("/databases/search", {"image": {"data": photos["jolie2"]}, "db_ids": [old.db_id]})
    got = r.json()["batches"][0]["features"][0]["score"]
    a, _ = user_engine.largest_face(b64_bytes(photos["jolie1"]), attributes=False, packs=["dlib-resnet-v1"])
    b, _ = user_engine.largest_face(b64_bytes(photos["jolie2"]), attributes=False, packs=["dlib-resnet-v1"])
    assert a.embedding is not None and b.embedding is not None
    assert got == pytest.approx(LEGACY_MAP.score(float(a.embedding @ b.embedding)), abs=1e-5)
    assert store.get_database(tenant.app_id, old.db_id).model_version == "dlib-resnet-v1"


def test_a_database_whose_pack_is_gone_answers_a_clear_error(
    rapi: Signed, store: FeatureStore, tenant: Tenant, photos: dict[str, str]
) -> None:
    gone = store.create_database(tenant.app_id, "gone", "", 10, "removed-pack:c1")
    ok = _create(rapi)["db_id"]
    _add(rapi, ok, photos, ["jolie1"])
    r = rapi.post("/databases/search", {"image": {"data": photos["jolie2"]}, "db_ids": [gone.db_id, ok]})
    assert r.status_code == 200
    assert [x["internal_code"] for x in r.json()["results"]] == [4101, 0]
    r = rapi.post(f"/databases/{gone.db_id}/features", {"images": [{"image": {"data": photos["jolie1"]}}]})
    assert r.status_code == 400 and r.json()["internal_code"] == 4101
    assert store.get_database(tenant.app_id, gone.db_id).size == 0


def test_the_user_pack_list_is_what_the_cli_wrote(user_cache: Path) -> None:
    entry = json.loads((user_cache / USER_PACKS_FILE).read_text())["packs"][0]
    assert entry["name"] == "my-arcface" and entry["calibration"] == 1
    knots = np.asarray(entry["calibrations"][0]["knots"])
    assert np.all(np.diff(knots[:, 0]) > 0) and np.all(np.diff(knots[:, 1]) > 0)


def b64_bytes(text: str) -> bytes:
    import base64

    return base64.b64decode(text)
