"""The user guide's quickstarts end to end over HTTP: verification (1:1) and identification (1:N)."""

from __future__ import annotations

import json

from tests.api.conftest import Signed
from tests.api.test_databases import _err

OK = {"code": 0, "message": "Success.", "internal_code": 0}


def test_face_verification_quickstart(fapi: Signed, photos: dict[str, str]) -> None:
    r = fapi.post("/compare", {"one": {"data": photos["obama1"]}, "another": {"data": photos["obama2"]}})
    assert r.status_code == 200
    assert r.json()["score"] >= 0.9


def test_face_identification_quickstart(fapi: Signed, photos: dict[str, str]) -> None:
    # create the database "foo" of size 1000, and check it exists
    db = fapi.post("/databases", {"name": "foo", "max_size": 1000}).json()
    db_id = db["db_id"]
    assert db_id in fapi.get("/databases").json()["databases"]
    assert fapi.get(f"/databases/{db_id}").json()["name"] == "foo"
    # quality check before enrolling
    q = fapi.post("/quality", {"image": {"data": photos["jolie1"]}}).json()
    assert q["face"]["quality"]["size"] > 0
    # batch add a folder of photos with keys and extra_info
    folder = [("jolie1", "jolie"), ("jolie2", "jolie"), ("damon1", "damon"), ("damon2", "damon"),
              ("obama1", "obama")]
    items = [{"image": {"data": photos[n]}, "key": k, "extra_info": json.dumps({"file": n})} for n, k in folder]
    r = fapi.post(f"/databases/{db_id}/features", {"images": items})
    assert r.status_code == 200, r.text
    added = r.json()
    assert added["results"] == [OK] * len(folder)
    fids = [f["feature_id"] for f in added["features"]]
    assert len(set(fids)) == len(folder) and all(fids)
    assert [f["key"] for f in added["features"]] == [k for _, k in folder]
    assert fapi.get(f"/databases/{db_id}").json()["size"] == len(folder)
    # search with top_k and min_score
    s = fapi.post("/databases/search", {"image": {"data": photos["jolie4"]}, "db_ids": [db_id], "top_k": 2,
                                        "min_score": 0.8}).json()
    assert s["results"] == [OK]
    hits = s["batches"][0]["features"]
    assert 1 <= len(hits) <= 2
    assert all(h["feature"]["key"] == "jolie" for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(h["score"] >= 0.8 for h in hits)
    assert set(s["face"]) == {"rectangle", "quality", "angle", "landmarks", "attributes"}
    # min_score above everything: an empty batch, not an error
    s = fapi.post("/databases/search", {"image": {"data": photos["jolie4"]}, "db_ids": [db_id], "top_k": 5,
                                        "min_score": 1.0}).json()
    assert s["batches"] == [{"features": []}] and s["results"] == [OK]
    # the same photo as enrolled scores ~1 and comes first
    s = fapi.post("/databases/search", {"image": {"data": photos["damon1"]}, "db_ids": [db_id],
                                        "top_k": 10}).json()
    first = s["batches"][0]["features"][0]
    assert first["feature"]["feature_id"] == fids[2] and first["score"] > 0.99
    assert len(s["batches"][0]["features"]) == len(folder)
    # search two databases at once (and an unknown one fails only its own batch)
    db2 = fapi.post("/databases", {"name": "bar", "max_size": 10}).json()["db_id"]
    fapi.post(f"/databases/{db2}/features", {"images": [{"image": {"data": photos["jolie6"]}, "key": "j2"}]})
    s = fapi.post("/databases/search", {"image": {"data": photos["jolie2"]}, "db_ids": [db_id, "nope", db2],
                                        "top_k": 1}).json()
    assert [x["code"] for x in s["results"]] == [0, 5, 0]
    assert s["results"][1]["internal_code"] == 2002
    assert s["batches"][0]["features"][0]["feature"]["key"] == "jolie"
    assert s["batches"][1] == {"features": []}
    assert s["batches"][2]["features"][0]["feature"]["key"] == "j2"
    # update an extra_info
    r = fapi.post(f"/databases/{db_id}/features/{fids[0]}/extra_info", {"extra_info": "{\"vip\":true}"})
    assert r.json()["extra_info"] == "{\"vip\":true}"
    s = fapi.post("/databases/search", {"image": {"data": photos["jolie1"]}, "db_ids": [db_id],
                                        "top_k": 1}).json()
    assert s["batches"][0]["features"][0]["feature"] == {"feature_id": fids[0], "key": "jolie",
                                                         "extra_info": "{\"vip\":true}"}
    # delete the database
    assert fapi.delete(f"/databases/{db_id}").status_code == 200
    _err(fapi.get(f"/databases/{db_id}"), 404, 5, 2002)
    s = fapi.post("/databases/search", {"image": {"data": photos["jolie1"]}, "db_ids": [db_id]}).json()
    assert s["results"][0]["code"] == 5


def test_batch_add_item_errors_store_nothing_for_them(fapi: Signed, photos: dict[str, str]) -> None:
    db_id = fapi.post("/databases", {"name": "small", "max_size": 2}).json()["db_id"]
    items = [{"image": {"data": photos["noface"]}, "key": "a"},
             {"image": {"data": "!!"}, "key": "b"},
             {"image": {"data": photos["jolie1"]}, "key": "c", "extra_info": "x"},
             {"image": {"data": photos["damon1"]}, "key": "d"},
             {"image": {"data": photos["obama1"]}, "key": "e"}]
    body = fapi.post(f"/databases/{db_id}/features", {"images": items}).json()
    assert [(s["code"], s["internal_code"]) for s in body["results"]] == [
        (3, 1201), (3, 1101), (0, 0), (0, 0), (8, 3001)]
    feats = body["features"]
    assert [bool(f["feature_id"]) for f in feats] == [False, False, True, True, False]
    assert feats[0] == {"feature_id": "", "key": "a", "extra_info": "", "face": None}
    assert feats[2]["face"]["rectangle"]["width"] > 0
    assert fapi.get(f"/databases/{db_id}").json()["size"] == 2
    # a search with no face in the probe: an error for the whole request
    _err(fapi.post("/databases/search", {"image": {"data": photos["noface"]}, "db_ids": [db_id]}), 400, 3, 1201)
    # a whole-request error adds nothing
    _err(fapi.post(f"/databases/{db_id}/features", {"images": [{"image": {"data": photos["jolie1"]}}] * 17}),
         400, 3, 1106)
    assert fapi.get(f"/databases/{db_id}").json()["size"] == 2
