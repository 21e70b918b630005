"""Issue 14, findings 4-6: lenient where clients are sloppy (no or another Content-Type), strict where the
contract is (empty key, control characters in names, no redirect on a trailing slash, strict numbers), and
the served OpenAPI document states what the server enforces."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from faceprint.engine.image import load_image
from faceprint.errors import CorruptImage, UnsupportedFormat
from faceprint.signing import sign_request
from tests.api.conftest import Signed


def _post_raw(api: Signed, rest: str, body: dict[str, Any], content_type: str | None) -> Any:
    path = api.url(rest)
    h = sign_request(api.tenant.access_key, api.tenant.secret, "POST", path)
    if content_type is not None:
        h["Content-Type"] = content_type
    return api.client.post(path, content=json.dumps(body).encode(), headers=h)


@pytest.mark.parametrize("ctype", [None, "text/json", "application/x-www-form-urlencoded", "text/plain",
                                   "application/json; charset=utf-8"])
def test_json_body_whatever_the_content_type(api: Signed, ctype: str | None) -> None:
    r = _post_raw(api, "/databases", {"name": "sloppy", "max_size": 3}, ctype)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "sloppy"


def test_a_body_that_is_not_json_is_still_invalid_request(api: Signed) -> None:
    r = api.post("/databases", raw=b"name=x&max_size=3", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["internal_code"] == 1000


def test_trailing_slash_is_answered_without_redirect_and_signature_holds(api: Signed) -> None:
    db = api.post("/databases", {"name": "x", "max_size": 2}).json()["db_id"]
    for rest in ("/databases/", f"/databases/{db}/", "/info/"):
        r = api.client.get(api.url(rest), headers=sign_request(api.tenant.access_key, api.tenant.secret, "GET",
                                                                api.url(rest)), follow_redirects=False)
        assert r.status_code == 200, (rest, r.status_code, r.text)
        assert "location" not in r.headers
    # the signature is over what was sent: signing the path without the slash does not pass
    r = api.client.get(api.url("/info/"), headers=sign_request(api.tenant.access_key, api.tenant.secret, "GET",
                                                               api.url("/info") + "x"))
    assert r.status_code == 401


def test_no_redirect_outside_the_api(client: TestClient) -> None:
    r = client.get("/healthz/", follow_redirects=False)
    assert r.status_code == 404 and "location" not in r.headers


def test_other_method_on_a_known_path_is_405(api: Signed, client: TestClient) -> None:
    r = client.request("TRACE", "/healthz")
    assert r.status_code == 405 and r.json()["internal_code"] == 2006 and r.json()["code"] == 12
    assert "GET" in r.headers["allow"]
    r = api.request("PUT", "/databases")
    assert r.status_code == 405 and r.json()["internal_code"] == 2006
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert api.get("/nothing-here").status_code == 404


def test_empty_key_is_refused_omitted_key_is_not(api: Signed) -> None:
    db = api.post("/databases", {"name": "k", "max_size": 5}).json()["db_id"]
    r = api.post(f"/databases/{db}/features", {"images": [{"image": {"data": "AAAA"}, "key": ""}]})
    assert r.status_code == 400 and r.json()["internal_code"] == 1301
    r = api.post(f"/databases/{db}/features", {"images": [{"image": {"data": "AAAA"}}]})
    assert r.status_code != 400 or r.json()["internal_code"] != 1301


@pytest.mark.parametrize("name", ["a\x00b", "\x1b[2Jclear", "line\nbreak", "bidi\u202eevil", "del\x7f", "c1\x9b"])
def test_control_characters_in_a_name_are_refused(api: Signed, name: str) -> None:
    r = api.post("/databases", {"name": name, "max_size": 3})
    assert r.status_code == 400 and r.json()["internal_code"] == 1306, r.text


def test_ordinary_names_and_multiline_descriptions_pass(api: Signed) -> None:
    r = api.post("/databases", {"name": "Équipe 李 😀", "description": "line 1\nline 2\tend", "max_size": 3})
    assert r.status_code == 200, r.text
    r = api.post("/databases", {"name": "x", "description": "bell\x07", "max_size": 3})
    assert r.status_code == 400 and r.json()["internal_code"] == 1306


@pytest.mark.parametrize(("body", "code"), [
    ({"max_size": "10"}, 1303), ({"max_size": True}, 1303), ({"max_size": 10.5}, 1303), ({"max_size": 0}, 1303),
    ({}, 1303),
])
def test_max_size_is_a_json_integer(api: Signed, body: dict[str, Any], code: int) -> None:
    r = api.post("/databases", {"name": "n", **body})
    assert r.status_code == 400 and r.json()["internal_code"] == code, r.text


@pytest.mark.parametrize(("field", "value", "code"), [
    ("top_k", "3", 1304), ("top_k", True, 1304), ("top_k", 0, 1304), ("min_score", "0.5", 1305),
    ("min_score", False, 1305), ("min_score", 1.5, 1305),
])
def test_search_numbers_are_as_strict_as_max_size(api: Signed, field: str, value: Any, code: int) -> None:
    body = {"image": {"data": "AAAA"}, "db_ids": ["x"], field: value}
    r = api.post("/databases/search", body)
    assert r.status_code == 400 and r.json()["internal_code"] == code, r.text


@pytest.mark.parametrize("value", [False, True, "0", 1.5, None])
def test_rectangle_fields_are_integers(api: Signed, value: Any) -> None:
    rect = {"top": 0, "left": value, "width": 10, "height": 10}
    r = api.post("/detect", {"images": [{"data": "AAAA", "rectangle": rect}]})
    assert r.status_code == 400 and r.json()["internal_code"] in (1108, 1000), r.text
    assert value is None or r.json()["internal_code"] == 1108


def test_empty_db_ids_and_images_are_refused(api: Signed) -> None:
    assert api.post("/databases/search", {"image": {"data": "AAAA"}, "db_ids": []}).json()["internal_code"] == 1307
    assert api.post("/detect", {"images": []}).json()["internal_code"] == 1107


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 90)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("cut", [3, 20, 200])
def test_a_corrupt_jpeg_is_corrupt_not_unsupported(cut: int) -> None:
    raw = _jpeg()[:cut] + b"\x00" * 300
    with pytest.raises(CorruptImage):
        load_image(raw)
    with pytest.raises(UnsupportedFormat):
        load_image(b"%PDF-1.7\n" + b"\x00" * 300)


def test_openapi_states_the_limits(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    s = doc["components"]["schemas"]
    assert "max_size" in s["CreateDatabaseRequest"]["required"]
    assert s["CreateDatabaseRequest"]["properties"]["max_size"] == {
        **s["CreateDatabaseRequest"]["properties"]["max_size"], "type": "integer", "minimum": 1}
    name = s["CreateDatabaseRequest"]["properties"]["name"]
    assert name["maxLength"] == 64 and "\\u0000" in name["pattern"]
    assert s["DetectRequest"]["properties"]["images"]["minItems"] == 1
    assert s["DetectRequest"]["properties"]["images"]["maxItems"] == 16
    assert s["BatchAddRequest"]["properties"]["images"]["minItems"] == 1
    search = s["SearchRequest"]["properties"]
    assert search["db_ids"]["minItems"] == 1 and search["db_ids"]["maxItems"] == 16
    assert (search["top_k"]["minimum"], search["top_k"]["maximum"]) == (1, 1000)
    assert (search["min_score"]["minimum"], search["min_score"]["maximum"]) == (0, 1)
    assert s["BatchAddItem"]["properties"]["key"]["pattern"] == "^[A-Za-z0-9-]{1,48}$"
    assert s["RectangleIn"]["properties"]["left"]["minimum"] == 0
    assert "HTTPValidationError" not in s
    assert s["ImageIn"]["properties"]["data"]["minLength"] == 1
    busy = doc["paths"]["/openapi/face/v1/{app_id}/detect"]["post"]["responses"]["429"]
    assert "Retry-After" in busy["headers"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "422" not in op["responses"], (method, path)
    metrics = doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")
