"""The cache of opened access keys in front of the store: reads off the event loop, bounded, and a revoked
key refused within ``key_cache_seconds``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.api.auth import Credential, KeyCache
from faceprint.settings import Settings
from faceprint.storage.base import AccessKey, FeatureStore
from tests.api.conftest import Signed, Tenant, make_tenant

NOT_VERIFIED = "HMAC signature cannot be verified"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _counting(table: dict[str, Credential | None]) -> tuple[Callable[[str], Credential | None], list[str]]:
    seen: list[str] = []

    def lookup(access_key: str) -> Credential | None:
        seen.append(access_key)
        return table.get(access_key)

    return lookup, seen


def test_active_keys_are_reused_until_they_expire() -> None:
    table: dict[str, Credential | None] = {"k": Credential("app", "s" * 32)}
    lookup, seen = _counting(table)
    clock = _Clock()
    cache = KeyCache(lookup, ttl=2.0, clock=clock)

    async def run() -> None:
        assert await cache("k") == table["k"]
        table["k"] = None  # revoked in the store
        clock.now += 1.9
        assert await cache("k") is not None  # still within the bound
        clock.now += 0.1
        assert await cache("k") is None  # the bound reached: read again, refused

    asyncio.run(run())
    assert seen == ["k", "k"]


def test_unknown_and_revoked_keys_are_read_each_time() -> None:
    """Not caching refusals lets a key made while the service runs sign in at once."""
    table: dict[str, Credential | None] = {}
    lookup, seen = _counting(table)
    cache = KeyCache(lookup, ttl=60.0, clock=_Clock())

    async def run() -> None:
        assert await cache("new") is None
        table["new"] = Credential("app", "s" * 32)
        assert await cache("new") == table["new"]

    asyncio.run(run())
    assert seen == ["new", "new"] and len(cache) == 1


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    table: dict[str, Credential | None] = {k: Credential("app", k * 32) for k in "abcd"}
    lookup, seen = _counting(table)
    cache = KeyCache(lookup, ttl=60.0, max_keys=2, clock=_Clock())

    async def run() -> None:
        for k in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" comes in
            await cache(k)
        await cache("a")
        await cache("b")

    asyncio.run(run())
    assert len(cache) == 2 and seen == ["a", "b", "c", "b"]


def test_ttl_zero_reads_every_time() -> None:
    lookup, seen = _counting({"k": Credential("app", "s" * 32)})
    cache = KeyCache(lookup, ttl=0.0)
    for _ in range(3):
        assert asyncio.run(cache("k")) is not None
    assert seen == ["k", "k", "k"] and len(cache) == 0
    with pytest.raises(ValueError):
        KeyCache(lookup, ttl=-1.0)


def _spy_on_get_key(monkeypatch: pytest.MonkeyPatch, store: FeatureStore) -> list[bool]:
    """Wraps ``store.get_key``: records, per call, whether it ran on an event loop's thread."""
    on_loop: list[bool] = []
    real = store.get_key

    def get_key(access_key: str) -> AccessKey | None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(access_key)

    monkeypatch.setattr(store, "get_key", get_key)
    return on_loop


def test_signed_requests_read_the_store_once_per_ttl_and_off_the_loop(
    settings: Settings, store: FeatureStore, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop = _spy_on_get_key(monkeypatch, store)
    app = create_app(settings.model_copy(update={"key_cache_seconds": 30.0}), engine=None, store=store)
    with TestClient(app) as client:
        api = Signed(client, tenant)
        for _ in range(5):
            assert api.get("/databases").status_code == 200
        other = make_tenant(store, settings, name="later")  # made while the service runs: signs in at once
        assert Signed(client, other).get("/databases").status_code == 200
    assert on_loop == [False, False]


def test_a_revoked_key_is_refused_within_the_bound(
    settings: Settings, store: FeatureStore, tenant: Tenant
) -> None:
    """The key is revoked in the store while the service runs (as `faceprint keys revoke` or another node
    does): requests signed with it are refused at most key_cache_seconds later, and from then on."""
    ttl = 0.5
    app = create_app(settings.model_copy(update={"key_cache_seconds": ttl}), engine=None, store=store)
    with TestClient(app) as client:
        api = Signed(client, tenant)
        assert api.get("/databases").status_code == 200  # the key is now cached
        revoked = time.monotonic()
        store.revoke_key(tenant.access_key)
        while (r := api.get("/databases")).status_code == 200:
            # the request that got through began before the bound (slack: one slow request's time)
            assert time.monotonic() - revoked < ttl + 1.0, "a revoked key still signs in past the bound"
            time.sleep(0.05)
        assert r.json() == {"message": NOT_VERIFIED}
        for _ in range(3):
            assert api.get("/databases").json() == {"message": NOT_VERIFIED}
