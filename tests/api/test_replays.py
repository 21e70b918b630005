"""Issue 14: what Kong's HMAC scheme does not protect by default (a captured request can be replayed within
the skew, its body changed), and the opt-in stricter modes that close those gaps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.api.errors import KONG_MISMATCH, KONG_NOT_VERIFIED
from faceprint.api.replay import ReplayGuard
from faceprint.settings import Settings
from faceprint.signing import sign_request
from tests.client._apps import PREFIX, Tenant, make_tenant, open_test_store


@pytest.fixture
def strict(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, Tenant]]:
    kw: dict[str, Any] = getattr(request, "param", {})
    settings = Settings(data_dir=tmp_path / "data", model_dir=tmp_path / "m", **kw)
    store = open_test_store(settings)
    tenant = make_tenant(store, settings)
    with TestClient(create_app(settings, engine=None, store=store)) as c:
        yield c, tenant
    store.close()


def _create(c: TestClient, t: Tenant, headers: dict[str, str], body: bytes) -> Any:
    return c.post(f"{PREFIX}/{t.app_id}/databases", content=body,
                  headers={**headers, "Content-Type": "application/json"})


def _headers(t: Tenant, body: bytes | None = None, date: str | None = None) -> dict[str, str]:
    return sign_request(t.access_key, t.secret, "POST", f"{PREFIX}/{t.app_id}/databases", date=date, body=body)


BODY = json.dumps({"name": "r", "max_size": 2}).encode()


def test_by_default_a_captured_request_replays_and_its_body_can_change(strict: tuple[TestClient, Tenant]) -> None:
    c, t = strict
    captured = _headers(t)
    assert _create(c, t, captured, BODY).status_code == 200
    assert _create(c, t, captured, BODY).status_code == 200  # the replay: a second database
    changed = json.dumps({"name": "changed", "max_size": 2}).encode()
    assert _create(c, t, captured, changed).json()["name"] == "changed"  # the body is not signed


@pytest.mark.parametrize("strict", [{"hmac_reject_replays": True}], indirect=True)
def test_replayed_signature_is_refused(strict: tuple[TestClient, Tenant]) -> None:
    c, t = strict
    captured = _headers(t, BODY)
    assert _create(c, t, captured, BODY).status_code == 200
    again = _create(c, t, captured, BODY)
    assert again.status_code == 401 and again.json() == {"message": KONG_NOT_VERIFIED}
    # a new signature (another body here, signed by its digest) goes through
    other = json.dumps({"name": "r2", "max_size": 2}).encode()
    assert _create(c, t, _headers(t, other), other).status_code == 200
    # a GET signed afresh goes through
    path = f"{PREFIX}/{t.app_id}/databases"
    r1 = c.get(path, headers=sign_request(t.access_key, t.secret, "GET", path))
    assert r1.status_code == 200


@pytest.mark.parametrize("strict", [{"hmac_enforce_headers": "x-date,request-line,digest"}], indirect=True)
def test_enforced_digest_signs_the_body(strict: tuple[TestClient, Tenant]) -> None:
    c, t = strict
    plain = _create(c, t, _headers(t), BODY)  # Mercury's default signature: no digest
    assert plain.status_code == 401 and plain.json() == {"message": KONG_NOT_VERIFIED}
    signed = _headers(t, BODY)
    assert "digest" in signed["Authorization"] and signed["Digest"].startswith("SHA-256=")
    assert _create(c, t, signed, BODY).status_code == 200
    tampered = _create(c, t, signed, json.dumps({"name": "evil", "max_size": 2}).encode())
    assert tampered.status_code == 401 and tampered.json() == {"message": KONG_MISMATCH}


@pytest.mark.parametrize("strict", [{"hmac_validate_body": True}], indirect=True)
def test_validate_body_requires_a_digest_on_bodies(strict: tuple[TestClient, Tenant]) -> None:
    c, t = strict
    r = _create(c, t, _headers(t), BODY)
    assert r.status_code == 401 and r.json() == {"message": KONG_MISMATCH}
    assert _create(c, t, _headers(t, BODY), BODY).status_code == 200
    path = f"{PREFIX}/{t.app_id}/databases"
    assert c.get(path, headers=sign_request(t.access_key, t.secret, "GET", path)).status_code == 200


def test_replay_guard_forgets_after_the_window() -> None:
    g = ReplayGuard(10.0, capacity=3)
    assert g.first_use("k", "s1", now=0.0) and not g.first_use("k", "s1", now=5.0)
    assert g.first_use("other-key", "s1", now=5.0)  # per access key
    assert g.first_use("k", "s1", now=10.5)  # its date has left the skew by then
