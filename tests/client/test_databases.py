"""The SDK against the real app (no models needed): databases, features' error paths, auth, typed errors."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from faceprint import errors as fe
from faceprint.client import ApiError, AuthenticationError, Client, Database
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from tests.client._apps import Tenant, make_tenant
from tests.client.conftest import ENDPOINT

TRACE = re.compile(r"^[0-9a-f]{32}$")


def test_database_lifecycle(fp: Client) -> None:
    d = fp.create_database("foo", 1000, "Sample feature database.")
    assert isinstance(d, Database)
    assert (d.name, d.description, d.max_size, d.size, d.object_type) == (
        "foo", "Sample feature database.", 1000, 0, "OBJECT_FACE")
    assert TRACE.match(d.trace_id)
    other = fp.create_database("bar", 10)
    listing = fp.list_databases()
    assert listing.databases == [d.db_id, other.db_id]
    got = fp.get_database(d.db_id)
    assert (got.db_id, got.name, got.max_size) == (d.db_id, "foo", 1000)
    # Faceprint's extension: the default recogniser and its calibration, as GET info names them
    assert got.model_version == d.model_version == fp.info().raw["model_version"] != ""
    assert TRACE.match(fp.delete_database(d.db_id).trace_id)
    assert fp.list_databases().databases == [other.db_id]
    with pytest.raises(fe.DatabaseNotFound) as info:
        fp.get_database(d.db_id)
    e = info.value
    assert isinstance(e, ApiError) and isinstance(e, fe.NotFound)
    assert (e.status, e.code, e.internal_code) == (404, 5, fe.DatabaseNotFound.internal_code)
    assert TRACE.match(e.trace_id) and e.message


def test_unknown_feature_and_quota_errors_are_typed(fp: Client) -> None:
    d = fp.create_database("foo", 100)
    with pytest.raises(fe.FeatureNotFound) as nf:
        fp.get_feature(d.db_id, "no-such-feature")
    assert nf.value.status == 404
    with pytest.raises(fe.FeatureNotFound):
        fp.delete_feature(d.db_id, "no-such-feature")
    with pytest.raises(fe.FeatureNotFound):
        fp.update_extra_info(d.db_id, "no-such-feature", "x")
    with pytest.raises(fe.QuotaExceeded) as q:
        fp.create_database("huge", 10_000_000)
    assert (q.value.status, q.value.code) == (429, 8)
    with pytest.raises(fe.BadMaxSize) as bad:
        fp.create_database("zero", 0)
    assert (bad.value.status, bad.value.code, bad.value.internal_code) == (400, 3, 1303)


def test_path_segments_are_quoted_and_signed_as_sent(fp: Client) -> None:
    # A db_id with a space and a query-looking part: the request is signed over the encoded path exactly
    # as sent, so the gateway lets it through and the app answers "not found", not 401.
    with pytest.raises(fe.DatabaseNotFound):
        fp.get_database("a b?c=1&d")
    with pytest.raises(fe.NotFound):  # an encoded slash: still signed right, then no such route
        fp.get_database("a/b")


def test_wrong_secret_is_an_authentication_error(app: FastAPI, tenant: Tenant) -> None:
    with TestClient(app) as tc:
        bad = Client(ENDPOINT, tenant.app_id, tenant.access_key, "not-the-secret", http_client=tc)
        with pytest.raises(AuthenticationError) as info:
            bad.list_databases()
    e = info.value
    assert (e.status, e.code) == (401, 16)
    assert e.message == "HMAC signature does not match"


def test_another_apps_path_is_permission_denied(
    app: FastAPI, tenant: Tenant, store: FeatureStore, settings: Settings
) -> None:
    other = make_tenant(store, settings, name="other")
    with TestClient(app) as tc:
        wrong = Client(ENDPOINT, other.app_id, tenant.access_key, tenant.secret, http_client=tc)
        with pytest.raises(fe.PermissionDenied) as info:
            wrong.list_databases()
    assert (info.value.status, info.value.code) == (403, 7)
    assert isinstance(info.value, ApiError)


def test_every_algorithm_signs_acceptably(app: FastAPI, tenant: Tenant) -> None:
    with TestClient(app) as tc:
        for alg in ("hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"):
            c = Client(ENDPOINT, tenant.app_id, tenant.access_key, tenant.secret, http_client=tc, algorithm=alg)
            assert c.list_databases().databases == []


def test_info(fp: Client, tenant: Tenant) -> None:
    i = fp.info()
    assert i.version == "1.5.0"
    assert TRACE.match(i.trace_id)
    assert i.raw["app_id"] == tenant.app_id


def test_list_features_pages_and_key(fp: Client, store: FeatureStore, tenant: Tenant) -> None:
    """Faceprint's extension through the SDK: the query is signed as sent (offset, limit, key)."""
    import numpy as np

    from faceprint.storage.base import NewFeature

    d = fp.create_database("listed", 20)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d.created_at)
    vecs = np.random.default_rng(3).standard_normal((5, 128)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    items = [NewFeature(v, k) for v, k in zip(vecs, ["a", "b", "a", "c", "a"], strict=True)]
    added = store.add_features(tenant.app_id, d.db_id, items, d.model_version)
    ids = [f.feature_id for f in added]  # type: ignore[union-attr]
    page = fp.list_features(d.db_id, limit=2)
    assert [f.feature_id for f in page.features] == ids[:2] and page.next_offset == 2
    assert [f.feature_id for f in fp.list_features(d.db_id, offset=2).features] == ids[2:]
    assert fp.list_features(d.db_id, offset=2).next_offset is None
    assert [f.feature_id for f in fp.list_features(d.db_id, key="a").features] == [ids[0], ids[2], ids[4]]
    assert page.features[0].raw["created_at"].endswith("Z")
    with pytest.raises(fe.BadPage):
        fp.list_features(d.db_id, limit=0)
