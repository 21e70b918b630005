"""Databases, features (get/delete/update extra_info), info, tenants and the error shape, without models."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import numpy as np
from fastapi.testclient import TestClient

from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore, NewFeature
from tests.api.conftest import Signed, make_tenant

HEX32 = re.compile(r"[0-9a-f]{32}")


def _err(r: object, status: int, code: int, internal: int) -> None:
    import httpx

    assert isinstance(r, httpx.Response)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"trace_id", "code", "message", "internal_code"}
    assert (body["code"], body["internal_code"]) == (code, internal), body
    assert HEX32.fullmatch(body["trace_id"]) and body["trace_id"] == r.headers["x-trace-id"]


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return v / np.linalg.norm(v)


def test_database_lifecycle(api: Signed) -> None:
    r = api.post("/databases", {"name": "foo", "description": "Sample feature database.", "max_size": 1000})
    assert r.status_code == 200, r.text
    db = r.json()
    assert HEX32.fullmatch(db.pop("trace_id"))
    db_id = db["db_id"]
    assert db.pop("model_version") == api.get("/info").json()["model_version"]  # Faceprint's extension
    created = datetime.strptime(db.pop("created_at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)  # and this one
    assert abs(created.timestamp() - time.time()) < 60
    assert db == {"db_id": db_id, "name": "foo", "description": "Sample feature database.",
                  "object_type": "OBJECT_FACE", "feature_version": 4, "max_size": 1000, "size": 0}
    listed = api.get("/databases").json()
    assert listed["databases"] == [db_id] and HEX32.fullmatch(listed["trace_id"])
    got = api.get(f"/databases/{db_id}").json()
    got.pop("trace_id")
    got.pop("model_version")
    got.pop("created_at")
    assert got == db
    r = api.delete(f"/databases/{db_id}")
    assert r.status_code == 200 and set(r.json()) == {"trace_id"}
    _err(api.get(f"/databases/{db_id}"), 404, 5, 2002)
    _err(api.delete(f"/databases/{db_id}"), 404, 5, 2002)
    assert api.get("/databases").json()["databases"] == []


def test_feature_get_delete_update(api: Signed, store: FeatureStore) -> None:
    db_id = api.post("/databases", {"name": "d", "max_size": 10}).json()["db_id"]
    mv = store.get_database(api.tenant.app_id, db_id).model_version  # the default pack's
    added = store.add_features(api.tenant.app_id, db_id, [NewFeature(_vec(1), "emp-1", '{"n":"A"}')], mv)
    fid = added[0].feature_id  # type: ignore[union-attr]
    r = api.get(f"/databases/{db_id}/features/{fid}")
    assert r.status_code == 200
    assert r.json()["feature"] == {"feature_id": fid, "key": "emp-1", "extra_info": '{"n":"A"}'}
    r = api.post(f"/databases/{db_id}/features/{fid}/extra_info", {"extra_info": "vip"})
    assert r.status_code == 200, r.text
    assert {k: v for k, v in r.json().items() if k != "trace_id"} == {"feature_id": fid, "extra_info": "vip"}
    assert api.get(f"/databases/{db_id}/features/{fid}").json()["feature"]["extra_info"] == "vip"
    _err(api.post(f"/databases/{db_id}/features/{fid}/extra_info", {"extra_info": "x" * 1025}), 400, 3, 1302)
    assert api.get(f"/databases/{db_id}/features/{fid}").json()["feature"]["extra_info"] == "vip"
    assert api.get(f"/databases/{db_id}").json()["size"] == 1
    assert api.delete(f"/databases/{db_id}/features/{fid}").status_code == 200
    _err(api.get(f"/databases/{db_id}/features/{fid}"), 404, 5, 2003)
    _err(api.delete(f"/databases/{db_id}/features/{fid}"), 404, 5, 2003)
    _err(api.post(f"/databases/{db_id}/features/{fid}/extra_info", {"extra_info": "x"}), 404, 5, 2003)
    _err(api.get(f"/databases/nope/features/{fid}"), 404, 5, 2002)
    assert api.get(f"/databases/{db_id}").json()["size"] == 0


def test_create_database_validation_and_quota(api: Signed, store: FeatureStore, settings: Settings) -> None:
    _err(api.post("/databases", {"name": "x", "max_size": 0}), 400, 3, 1303)
    _err(api.post("/databases", {"name": "x"}), 400, 3, 1303)
    _err(api.post("/databases", {"name": "x", "max_size": "ten"}), 400, 3, 1303)
    _err(api.post("/databases", {"name": "n" * 65, "max_size": 1}), 400, 3, 1306)
    _err(api.post("/databases", {"name": "x", "description": "d" * 1025, "max_size": 1}), 400, 3, 1306)
    _err(api.post("/databases", {"name": "x", "max_size": 10_001}), 429, 8, 3002)
    assert api.post("/databases", {"name": "x", "max_size": 6000}).status_code == 200
    _err(api.post("/databases", {"name": "y", "max_size": 5000}), 429, 8, 3002)
    assert len(api.get("/databases").json()["databases"]) == 1
    info = api.get("/info").json()
    assert info["version"] == "1.5.0" and info["quota"] == 10_000 and info["quota_used"] == 6000
    assert info["databases"] == 1 and info["app_id"] == api.tenant.app_id and HEX32.fullmatch(info["trace_id"])


def test_malformed_requests_never_422(api: Signed) -> None:
    _err(api.post("/databases", raw=b"{not json"), 400, 3, 1000)
    _err(api.post("/databases", raw=b"[1, 2]"), 400, 3, 1000)
    _err(api.post("/detect", {"images": "x"}), 400, 3, 1000)
    _err(api.post("/detect", {"images": [{"dat": "x"}]}), 400, 3, 1000)
    _err(api.post("/detect", {"images": [{"data": "x", "rectangle": {"top": -1, "left": 0, "width": 5,
                                                                    "height": 5}}]}), 400, 3, 1108)
    _err(api.post("/databases/search", {"image": {"data": "x"}, "db_ids": []}), 400, 3, 1307)
    _err(api.post("/databases/search", {"image": {"data": "x"}, "db_ids": ["a"], "top_k": 0}), 400, 3, 1304)
    _err(api.post("/databases/search", {"image": {"data": "x"}, "db_ids": ["a"], "min_score": 1.5}),
         400, 3, 1305)


def test_limits_before_work(api: Signed, store: FeatureStore) -> None:
    db_id = api.post("/databases", {"name": "d", "max_size": 100}).json()["db_id"]
    img = {"data": "aGVsbG8="}
    _err(api.post("/detect", {"images": [img] * 17}), 400, 3, 1106)
    _err(api.post("/detect", {"images": []}), 400, 3, 1107)
    _err(api.post(f"/databases/{db_id}/features", {"images": [{"image": img}] * 17}), 400, 3, 1106)
    _err(api.post(f"/databases/{db_id}/features", {"images": [{"image": img, "key": "has space"}]}), 400, 3, 1301)
    _err(api.post(f"/databases/{db_id}/features", {"images": [{"image": img, "key": "k" * 49}]}), 400, 3, 1301)
    _err(api.post(f"/databases/{db_id}/features", {"images": [{"image": img, "key": "ключ"}]}), 400, 3, 1301)
    _err(api.post(f"/databases/{db_id}/features", {"images": [{"image": img, "extra_info": "e" * 1025}]}),
         400, 3, 1302)
    assert api.get(f"/databases/{db_id}").json()["size"] == 0


def test_body_too_large(api: Signed, settings: Settings) -> None:
    big = b'{"images": [{"data": "' + b"A" * settings.max_body_bytes + b'"}]}'
    _err(api.post("/detect", raw=big), 413, 3, 1109)


def test_body_too_large_while_streaming(api: Signed, settings: Settings) -> None:
    """No Content-Length (chunked): the limit is enforced on the bytes as they arrive."""
    chunk = b"A" * (1024 * 1024)

    def gen():  # type: ignore[no-untyped-def]
        yield b'{"images": [{"data": "'
        for _ in range(settings.max_body_bytes // len(chunk) + 2):
            yield chunk
        yield b'"}]}'

    from faceprint.signing import sign_request

    path = api.url("/detect")
    h = sign_request(api.tenant.access_key, api.tenant.secret, "POST", path)
    r = api.client.post(path, content=gen(), headers={**h, "Content-Type": "application/json"})
    _err(r, 413, 3, 1109)


def test_unknown_route_is_404_json(api: Signed) -> None:
    _err(api.get("/nope"), 404, 5, 2005)
    _err(api.request("PUT", "/databases"), 405, 12, 2006)  # a known path, another method (issue 14)


def test_two_tenants_cannot_see_each_other(
    api: Signed, client: TestClient, store: FeatureStore, settings: Settings
) -> None:
    other = Signed(client, make_tenant(store, settings))
    db_a = api.post("/databases", {"name": "a", "max_size": 10}).json()["db_id"]
    db_b = other.post("/databases", {"name": "b", "max_size": 10}).json()["db_id"]
    mv = store.get_database(api.tenant.app_id, db_a).model_version
    fid = store.add_features(api.tenant.app_id, db_a, [NewFeature(_vec(2), "k", "secret")],
                             mv)[0].feature_id  # type: ignore[union-attr]
    assert api.get("/databases").json()["databases"] == [db_a]
    assert other.get("/databases").json()["databases"] == [db_b]
    _err(other.get(f"/databases/{db_a}"), 404, 5, 2002)
    _err(other.delete(f"/databases/{db_a}"), 404, 5, 2002)
    _err(other.get(f"/databases/{db_a}/features/{fid}"), 404, 5, 2002)
    _err(other.delete(f"/databases/{db_a}/features/{fid}"), 404, 5, 2002)
    _err(other.post(f"/databases/{db_a}/features/{fid}/extra_info", {"extra_info": "pwned"}), 404, 5, 2002)
    _err(other.post(f"/databases/{db_a}/features", {"images": [{"image": {"data": "aGk="}}]}), 404, 5, 2002)
    # a's data unchanged
    assert api.get(f"/databases/{db_a}/features/{fid}").json()["feature"]["extra_info"] == "secret"
    assert api.get(f"/databases/{db_a}").json()["size"] == 1


def test_image_apis_without_models_say_so(api: Signed) -> None:
    _err(api.post("/compare", {"one": {"data": "aGk="}, "another": {"data": "aGk="}}), 500, 13, 5001)


def test_ops_endpoints(client: TestClient, api: Signed) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 503 and "models not loaded" in r.json()["problems"]
    api.get("/databases")
    text = client.get("/metrics").text
    assert 'faceprint_requests_total{endpoint="/openapi/face/v1/{app_id}/databases",method="GET",status="200"}' \
        in text
    assert "faceprint_request_seconds_bucket" in text


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    p = "/openapi/face/v1/{app_id}"
    expected = {
        f"{p}/detect": {"post"}, f"{p}/compare": {"post"}, f"{p}/quality": {"post"},
        f"{p}/databases": {"post", "get"}, f"{p}/databases/{{db_id}}": {"get", "delete"},
        f"{p}/databases/{{db_id}}/features": {"post", "get"},  # get: Faceprint's list
        f"{p}/databases/{{db_id}}/features/{{feature_id}}": {"get", "delete"},
        f"{p}/databases/{{db_id}}/features/{{feature_id}}/extra_info": {"post"},
        f"{p}/databases/search": {"post"}, f"{p}/info": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for m in methods:
            assert paths[path][m]["security"] == [{"hmac": []}]
    schemas = doc["components"]["schemas"]
    for name in ("DetectRequest", "DetectResponse", "SearchResponse", "BatchAddRequest", "QualityResponse",
                 "ErrorResponse"):
        assert schemas[name].get("examples"), name
    assert schemas["BatchAddItem"]["properties"]["image"]["$ref"].endswith("/ImageIn")
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    if "/docs-assets/" in page.text:  # swagger-ui-bundle installed: nothing from a CDN
        assert "cdn." not in page.text
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_docs_list_every_internal_code() -> None:
    from pathlib import Path

    from faceprint.errors import all_error_types

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for cls in all_error_types():
        assert f"| {cls.internal_code} | `{cls.__name__}` |" in text, cls.__name__
