"""Inference runs in the pool, off the event loop: /healthz answers while a detect is in progress."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest

from faceprint.api import create_app
from faceprint.settings import Settings
from faceprint.signing import sign_request
from faceprint.storage.base import FeatureStore
from tests.api.conftest import PREFIX, Tenant

if TYPE_CHECKING:
    from faceprint.engine import Engine


class GatedEngine:
    """The real engine, with detect held at a gate and the calling thread recorded."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.threads: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def detect(self, *args: Any, **kw: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        self.entered.set()
        self.gate.wait(timeout=60)
        return self._engine.detect(*args, **kw)


@pytest.mark.anyio
async def test_healthz_answers_while_detect_runs(
    settings: Settings, store: FeatureStore, tenant: Tenant, engine: Engine, photos: dict[str, str]
) -> None:
    gated = GatedEngine(engine)
    app = create_app(settings, engine=gated, store=store)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    path = f"{PREFIX}/{tenant.app_id}/detect"
    body = {"images": [{"data": photos["jolie1"]}, {"data": photos["damon1"]}]}
    results: dict[str, httpx.Response] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def slow() -> None:
            h = sign_request(tenant.access_key, tenant.secret, "POST", path)
            results["detect"] = await client.post(path, json=body, headers=h, timeout=120)

        async with anyio.create_task_group() as tg:
            tg.start_soon(slow)
            await anyio.to_thread.run_sync(gated.entered.wait, 60.0)
            r = await client.get("/healthz")
            assert r.status_code == 200 and "detect" not in results
            gated.gate.set()
    assert results["detect"].status_code == 200
    assert [len(b["faces"]) for b in results["detect"].json()["batches"]] == [1, 1]
    assert gated.threads and all(t.startswith("faceprint-infer") for t in gated.threads)


@pytest.mark.anyio
async def test_a_full_engine_turns_requests_away_with_overloaded(
    settings: Settings, store: FeatureStore, tenant: Tenant, engine: Engine, photos: dict[str, str]
) -> None:
    gated = GatedEngine(engine)
    app = create_app(settings.model_copy(update={"max_pending_images": 2}), engine=gated,  # type: ignore[arg-type]
                     store=store)
    transport = httpx.ASGITransport(app=app)
    path = f"{PREFIX}/{tenant.app_id}/detect"
    two = {"images": [{"data": photos["jolie1"]}, {"data": photos["damon1"]}]}
    one = {"images": [{"data": photos["obama1"]}]}

    def signed() -> dict[str, str]:
        return sign_request(tenant.access_key, tenant.secret, "POST", path)

    results: dict[str, httpx.Response] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def held() -> None:
            results["held"] = await client.post(path, json=two, headers=signed(), timeout=120)

        async with anyio.create_task_group() as tg:
            tg.start_soon(held)
            await anyio.to_thread.run_sync(gated.entered.wait, 60.0)
            # two images in the engine's hands: one more would pass the limit of 2
            r = await client.post(path, json=one, headers=signed())
            assert r.status_code == 503
            assert r.json()["code"] == 14 and r.json()["internal_code"] == 5101
            gated.gate.set()
        assert results["held"].status_code == 200
        # the places are free again
        r = await client.post(path, json=one, headers=signed(), timeout=120)
        assert r.status_code == 200 and len(r.json()["batches"][0]["faces"]) == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
