"""Kong hmac-auth 2.x as the gateway in front of Mercury Cloud: the checks, their order, their bodies."""

from __future__ import annotations

import base64
import hashlib
import time

from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.api.auth import Credential, digest_matches, parse_http_time, verify_request
from faceprint.settings import Settings
from faceprint.signing import build_signing_string, compute_signature, http_date, sign_request
from faceprint.storage.base import FeatureStore
from tests.api.conftest import PREFIX, Signed, Tenant

GUIDE_SECRET = "blFWSvhp9pRz2JnRHnfvkFeAuApClhKg"
GUIDE_DATE = "Fri, 09 Jul 2021 01:51:02 GMT"
GUIDE_PATH = "/openapi/face/v1/abc1a8a7-038f-4f9a-b98a-5b602978b135/detect"
GUIDE_SIGNATURE = "kUJ6OHiMMBZnxgSEa2ARxVAlgjC2kzjedZgxOz07i+Y="

UNAUTHORIZED = "Unauthorized"
BAD_DATE = "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication"
NOT_VERIFIED = "HMAC signature cannot be verified"
MISMATCH = "HMAC signature does not match"


def test_guide_worked_example_signature() -> None:
    signing = build_signing_string(("x-date", "request-line"), {"x-date": GUIDE_DATE}, "POST", GUIDE_PATH)
    assert signing == f"x-date: {GUIDE_DATE}\nPOST {GUIDE_PATH} HTTP/1.1"
    assert compute_signature(GUIDE_SECRET, signing) == GUIDE_SIGNATURE


def test_guide_example_verifies_at_its_own_time() -> None:
    t = parse_http_time(GUIDE_DATE)
    assert t is not None
    lookup = {"005c5acf-5ea9-499c-8d3e-690413f9b5b9": Credential("abc1a8a7-038f-4f9a-b98a-5b602978b135",
                                                                 GUIDE_SECRET)}.get
    auth = (f'hmac username="005c5acf-5ea9-499c-8d3e-690413f9b5b9", algorithm="hmac-sha256", '
            f'headers="x-date request-line", signature="{GUIDE_SIGNATURE}"')
    p = verify_request(method="POST", request_uri=GUIDE_PATH, path=GUIDE_PATH, http_version="1.1",
                       headers=[("x-date", GUIDE_DATE), ("authorization", auth)], lookup=lookup,
                       clock_skew=300, now=t + 299)
    assert p.app_id == "abc1a8a7-038f-4f9a-b98a-5b602978b135"


def _body(r: object) -> dict[str, object]:
    import httpx

    assert isinstance(r, httpx.Response)
    return dict(r.json())


def test_no_authorization_header_is_unauthorized(client: TestClient, tenant: Tenant) -> None:
    r = client.get(f"{PREFIX}/{tenant.app_id}/databases", headers={"x-date": http_date()})
    assert r.status_code == 401
    assert r.json() == {"message": UNAUTHORIZED}
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert len(r.headers["x-trace-id"]) == 32


def test_missing_and_stale_dates(api: Signed) -> None:
    stale = http_date(time.time() - 301)
    r = api.get("/databases", date=stale)
    assert (r.status_code, r.json()) == (401, {"message": BAD_DATE})
    future = http_date(time.time() + 400)
    assert api.get("/databases", date=future).json() == {"message": BAD_DATE}
    assert api.get("/databases", date="not a date").json() == {"message": BAD_DATE}
    # within the skew, either side
    assert api.get("/databases", date=http_date(time.time() - 250)).status_code == 200
    assert api.get("/databases", date=http_date(time.time() + 250)).status_code == 200


def test_date_header_instead_of_x_date(api: Signed) -> None:
    """Before Mercury v1.0.1 clients signed `date`; Kong accepts either."""
    d = http_date()
    path = api.url("/databases")
    signing = build_signing_string(("date", "request-line"), {"date": d}, "GET", path)
    sig = compute_signature(api.tenant.secret, signing)
    auth = (f'hmac username="{api.tenant.access_key}", algorithm="hmac-sha256", headers="date request-line", '
            f'signature="{sig}"')
    r = api.client.get(path, headers={"date": d, "Authorization": auth})
    assert r.status_code == 200, r.text


def test_malformed_header_unknown_key_bad_algorithm(api: Signed) -> None:
    d = http_date()
    path = api.url("/databases")
    for auth in ("Bearer abc", 'hmac username="x"', "hmac garbage"):
        r = api.client.get(path, headers={"x-date": d, "Authorization": auth})
        assert (r.status_code, r.json()) == (401, {"message": NOT_VERIFIED}), auth
    good = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path, date=d)
    unknown = good["Authorization"].replace(api.tenant.access_key, "00000000-0000-0000-0000-000000000000")
    r = api.client.get(path, headers={"x-date": d, "Authorization": unknown})
    assert r.json() == {"message": NOT_VERIFIED}
    md5 = good["Authorization"].replace("hmac-sha256", "hmac-md5")
    assert api.client.get(path, headers={"x-date": d, "Authorization": md5}).json() == {"message": NOT_VERIFIED}


def test_bad_signature_wrong_secret_tampered_path(api: Signed) -> None:
    r = api.get("/databases", headers={})
    assert r.status_code == 200
    wrong = Signed(api.client, Tenant(api.tenant.app_id, api.tenant.access_key, "x" * 32))
    assert wrong.get("/databases").json() == {"message": MISMATCH}
    # signed for one path, sent to another: refused
    r = api.get("/databases", sign_path=api.url("/info"))
    assert (r.status_code, r.json()) == (401, {"message": MISMATCH})
    # signed for another method
    path = api.url("/databases")
    h = sign_request(api.tenant.access_key, api.tenant.secret, "POST", path)
    assert api.client.get(path, headers=h).json() == {"message": MISMATCH}


def test_all_algorithms_and_extra_signed_headers(api: Signed) -> None:
    path = api.url("/databases")
    d = http_date()
    for alg in ("hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"):
        names = ("x-date", "request-line", "content-type", "x-absent")
        hdrs = {"x-date": d, "content-type": "application/json"}
        signing = build_signing_string(names, hdrs, "GET", path)
        assert signing.endswith("\nx-absent:")
        sig = compute_signature(api.tenant.secret, signing, alg)
        auth = (f'hmac username="{api.tenant.access_key}", algorithm="{alg}", headers="{" ".join(names)}", '
                f'signature="{sig}"')
        r = api.client.get(path, headers={**hdrs, "Authorization": auth})
        assert r.status_code == 200, (alg, r.text)


def test_query_string_is_signed_and_deprecated_form_accepted(api: Signed) -> None:
    path = api.url("/databases")
    # Kong's request_uri form: path plus raw query
    h = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path + "?page=1&x=%20")
    assert api.client.get(path + "?page=1&x=%20", headers=h).status_code == 200
    # Mercury's JS demo form: URL.pathname, no query (Kong 2.x deprecated fallback)
    h = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path)
    assert api.client.get(path + "?page=1", headers=h).status_code == 200
    # a query that was neither sent nor signed as sent
    h = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path + "?page=2")
    assert api.client.get(path + "?page=1", headers=h).json() == {"message": MISMATCH}


def test_js_demo_signature(api: Signed) -> None:
    """mercury-demo signs `new Date().toUTCString()` and `URL(url).pathname` with HTTP/1.1."""
    d = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    path = api.url("/databases")
    msg = f"x-date: {d}\nGET {path} HTTP/1.1"
    import hmac as _h

    sig = base64.b64encode(_h.new(api.tenant.secret.encode(), msg.encode(), hashlib.sha256).digest()).decode()
    auth = (f'hmac username="{api.tenant.access_key}", algorithm="hmac-sha256", '
            f'headers="x-date request-line", signature="{sig}"')
    assert api.client.get(path, headers={"x-date": d, "Authorization": auth}).status_code == 200


def test_http2_request_line_accepted_as_1_1_and_2_0() -> None:
    path = "/openapi/face/v1/app/databases"
    d = http_date()
    lookup = {"k": Credential("app", "s" * 32)}.get
    for signed_ver in ("1.1", "2.0"):
        signing = build_signing_string(("x-date", "request-line"), {"x-date": d}, "GET", path, signed_ver)
        auth = (f'hmac username="k", algorithm="hmac-sha256", headers="x-date request-line", '
                f'signature="{compute_signature("s" * 32, signing)}"')
        p = verify_request(method="GET", request_uri=path, path=path, http_version="2",
                           headers=[("x-date", d), ("authorization", auth)], lookup=lookup, clock_skew=300)
        assert p.access_key == "k"


def test_proxy_authorization_header(api: Signed) -> None:
    path = api.url("/databases")
    h = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path)
    r = api.client.get(path, headers={"x-date": h["x-date"], "Proxy-Authorization": h["Authorization"]})
    assert r.status_code == 200


def test_replay_outside_skew_is_refused(api: Signed) -> None:
    """A captured request replayed later: same headers, date now stale."""
    path = api.url("/databases")
    old = http_date(time.time() - 3600)
    h = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path, date=old)
    r = api.client.get(path, headers=h)
    assert (r.status_code, r.json()) == (401, {"message": BAD_DATE})


def test_digest_header_covers_the_body(api: Signed) -> None:
    """Kong signs no body by default; a client may send Digest (validate_request_body) and sign it."""
    body = b'{"name": "d", "max_size": 10}'
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert digest_matches(digest, body)
    path = api.url("/databases")
    d = http_date()
    names = ("x-date", "digest", "request-line")
    signing = build_signing_string(names, {"x-date": d, "digest": digest}, "POST", path)
    auth = (f'hmac username="{api.tenant.access_key}", algorithm="hmac-sha256", headers="{" ".join(names)}", '
            f'signature="{compute_signature(api.tenant.secret, signing)}"')
    hdrs = {"x-date": d, "digest": digest, "Authorization": auth, "Content-Type": "application/json"}
    r = api.client.post(path, content=body, headers=hdrs)
    assert r.status_code == 200, r.text
    tampered = b'{"name": "d", "max_size": 99}'
    r = api.client.post(path, content=tampered, headers=hdrs)
    assert (r.status_code, r.json()) == (401, {"message": MISMATCH})
    assert len(api.get("/databases").json()["databases"]) == 1


def test_revoked_key_is_refused_at_once_without_the_key_cache(
    settings: Settings, store: FeatureStore, tenant: Tenant
) -> None:
    """key_cache_seconds 0: every request reads the store. (The bound with the cache on:
    tests/api/test_key_cache.py.)"""
    app = create_app(settings.model_copy(update={"key_cache_seconds": 0.0}), engine=None, store=store)
    with TestClient(app) as client:
        api = Signed(client, tenant)
        assert api.get("/databases").status_code == 200
        store.revoke_key(tenant.access_key)
        assert api.get("/databases").json() == {"message": NOT_VERIFIED}


def test_key_of_app_a_on_app_b_path_is_403(api: Signed, store: object, settings: object) -> None:
    from tests.api.conftest import make_tenant

    other = make_tenant(store, settings)  # type: ignore[arg-type]
    path = f"{PREFIX}/{other.app_id}/databases"
    h = sign_request(api.tenant.access_key, api.tenant.secret, "GET", path)
    r = api.client.get(path, headers=h)
    assert r.status_code == 403
    body = r.json()
    assert (body["code"], body["internal_code"]) == (7, 4001)
    assert body["trace_id"] == r.headers["x-trace-id"]


def test_body_is_not_signed_without_digest(api: Signed) -> None:
    """Kong's default (and Mercury's clients): the signature covers x-date and the request-line only, so
    a body changed in transit is not detected unless the client sends a Digest (see the test above)."""
    r = api.post("/databases", {"name": "changed-in-transit", "max_size": 5})
    assert r.status_code == 200 and r.json()["name"] == "changed-in-transit"


def test_access_log_line_carries_the_trace_id(api: Signed, caplog: object) -> None:
    import logging

    import pytest

    assert isinstance(caplog, pytest.LogCaptureFixture)
    with caplog.at_level(logging.INFO, logger="faceprint.access"):
        r = api.get("/databases")
    tid = r.json()["trace_id"]
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "faceprint.access"]
    assert any(f"trace_id={tid}" in line and " 200 " in line and api.tenant.app_id in line for line in lines)
