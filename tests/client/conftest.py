"""Fixtures of the SDK tests: the real app in process over a real store, reached through the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.client import Client
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from tests.client._apps import PREFIX, Tenant, make_settings, make_tenant, open_test_store

if TYPE_CHECKING:
    from faceprint.engine import Engine

ENDPOINT = f"http://testserver{PREFIX}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[FeatureStore]:
    s = open_test_store(settings)
    yield s
    s.close()


@pytest.fixture
def tenant(store: FeatureStore, settings: Settings) -> Tenant:
    return make_tenant(store, settings, quota=10_000)


@pytest.fixture
def app(settings: Settings, store: FeatureStore) -> FastAPI:
    """The app without models: the database, feature, auth and error paths."""
    return create_app(settings, engine=None, store=store)


@pytest.fixture
def full_app(settings: Settings, store: FeatureStore, engine: Engine) -> FastAPI:
    """The app with the real engine."""
    return create_app(settings, engine=engine, store=store)


def sdk(app: FastAPI, tenant: Tenant, **kw: object) -> Iterator[Client]:
    with TestClient(app) as tc, Client(ENDPOINT, tenant.app_id, tenant.access_key, tenant.secret,
                                       http_client=tc, **kw) as c:  # type: ignore[arg-type]
        yield c


@pytest.fixture
def fp(app: FastAPI, tenant: Tenant) -> Iterator[Client]:
    """The sync SDK against the app without models."""
    yield from sdk(app, tenant)


@pytest.fixture
def ffp(full_app: FastAPI, tenant: Tenant) -> Iterator[Client]:
    """The sync SDK against the app with the real engine."""
    yield from sdk(full_app, tenant)
