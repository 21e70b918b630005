"""Fixtures of the API tests: the real app in process, a real store in tmp_path, real signatures."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.settings import Settings
from faceprint.signing import sign_request
from faceprint.storage.base import FeatureStore
from tests.client._apps import PREFIX, Tenant, make_tenant, open_test_store

if TYPE_CHECKING:
    from faceprint.engine import Engine

__all__ = ["PREFIX", "Signed", "Tenant", "b64", "make_tenant", "open_test_store"]


class Signed:
    """A TestClient that signs each request as Mercury's clients do (x-date + request-line, hmac-sha256)."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client = client
        self.tenant = tenant

    def url(self, rest: str = "") -> str:
        return f"{PREFIX}/{self.tenant.app_id}{rest}"

    def request(
        self, method: str, rest: str, body: Any = None, *, headers: dict[str, str] | None = None,
        sign_path: str | None = None, date: str | None = None, raw: bytes | None = None,
    ) -> httpx.Response:
        path = self.url(rest)
        h = sign_request(self.tenant.access_key, self.tenant.secret, method, sign_path or path, date=date)
        h.update(headers or {})
        content = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if content is not None:
            h.setdefault("Content-Type", "application/json")
        return self.client.request(method, path, content=content, headers=h)

    def get(self, rest: str, **kw: Any) -> httpx.Response:
        return self.request("GET", rest, **kw)

    def post(self, rest: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", rest, body, **kw)

    def delete(self, rest: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", rest, **kw)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_dir=tmp_path / "no-models", max_body_bytes=12 * 1024 * 1024)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[FeatureStore]:
    """The API runs over each backend: the embedded store, and PostgreSQL (tests/storage/pg_support.py,
    skipped with the reason where no server can be had, required in CI)."""
    if request.param == "postgres":
        from tests.storage.pg_support import make_postgres_store

        with make_postgres_store() as pg:
            yield pg
        return
    s = open_test_store(settings)
    yield s
    s.close()


@pytest.fixture
def tenant(store: FeatureStore, settings: Settings) -> Tenant:
    return make_tenant(store, settings)


@pytest.fixture
def client(settings: Settings, store: FeatureStore) -> Iterator[TestClient]:
    """The app without models (database, auth and error paths need none)."""
    app = create_app(settings, engine=None, store=store)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> Signed:
    return Signed(client, tenant)


@pytest.fixture
def full_client(settings: Settings, store: FeatureStore, engine: Engine) -> Iterator[TestClient]:
    """The app with the real engine."""
    app = create_app(settings, engine=engine, store=store)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def fapi(full_client: TestClient, tenant: Tenant) -> Signed:
    return Signed(full_client, tenant)


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@pytest.fixture(scope="session")
def photos(faces_dir: Path) -> dict[str, str]:
    """Base64 of the photos the tests use, by short name."""
    names = {
        "jolie1": "deepface_img1.jpg", "jolie2": "deepface_img2.jpg", "jolie4": "deepface_img4.jpg",
        "jolie6": "deepface_img6.jpg", "damon1": "deepface_img29.jpg", "damon2": "deepface_img30.jpg",
        "obama1": "fr_obama.jpg", "obama2": "fr_obama2.jpg", "couple": "deepface_couple.jpg",
        "two": "fr_two_people.jpg", "noface": "skimage_coffee.png", "landscape": "compreface_017_0.jpg",
        "obama_png": "fr_obama2_32bit.png", "jolie6_rot90": "deepface_img6_rot90.jpg",
    }
    return {k: b64(faces_dir / v) for k, v in names.items()}
