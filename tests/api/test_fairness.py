"""Issue 14: each app gets a fair share of the engine, a request has a deadline after which its work not
yet started is dropped, a client that hung up leaves the queue, and an app over its share gets 429 with
code 8 and Retry-After, never someone else's latency."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from faceprint import errors as fpe
from faceprint.api import create_app
from faceprint.engine import Engine
from faceprint.service._offload import Offload
from faceprint.settings import Settings
from faceprint.signing import sign_request
from tests.client._apps import PREFIX, Tenant, make_tenant, open_test_store


def _work(log: list[tuple[str, float]], name: str, seconds: float) -> str:
    log.append((name, time.monotonic()))
    time.sleep(seconds)
    return name


def test_a_waiting_app_is_served_before_a_flooding_apps_queue() -> None:
    off = Offload(2, 256)
    log: list[tuple[str, float]] = []

    async def scenario() -> tuple[float, float]:
        t0 = time.monotonic()
        with off.admit(8, "A") as ta:
            flood = asyncio.gather(*(off.run(ta, _work, log, "A", 0.3) for _ in range(8)))
            await asyncio.sleep(0.05)
            with off.admit(1, "B") as tb:
                b0 = time.monotonic()
                await off.run(tb, _work, log, "B", 0.02)
                b_latency = time.monotonic() - b0
            await flood
        return b_latency, time.monotonic() - t0

    try:
        b_latency, total = asyncio.run(scenario())
    finally:
        off.close()
    # B waits only for one of A's running pieces (0.3 s), not for A's queue (8 x 0.3 s over 2 places)
    assert b_latency < 0.6, b_latency
    assert [n for n, _ in log].index("B") <= 3, log
    assert total > 1.0  # A's work all ran, shared


def test_the_deadline_drops_work_not_started() -> None:
    off = Offload(1, 256, deadline_s=0.35)
    log: list[tuple[str, float]] = []

    async def scenario() -> None:
        with off.admit(6, "A") as t:
            await asyncio.gather(*(off.run(t, _work, log, "A", 0.2) for _ in range(6)))

    t0 = time.monotonic()
    try:
        with pytest.raises(fpe.RequestDeadline):
            asyncio.run(scenario())
        took = time.monotonic() - t0
        time.sleep(0.6)  # nothing more of that request starts after its answer
    finally:
        off.close()
    assert took < 0.5, took
    assert len(log) == 2, log  # the one running at the deadline ended; the 4 others never started


def test_a_cancelled_request_leaves_the_queue() -> None:
    off = Offload(1, 256)
    log: list[tuple[str, float]] = []

    async def scenario() -> None:
        with off.admit(5, "A") as t:
            task = asyncio.gather(*(off.run(t, _work, log, "A", 0.2) for _ in range(5)))
            await asyncio.sleep(0.05)
            task.cancel()  # what the middleware does when the client hangs up
            with pytest.raises(asyncio.CancelledError):
                await task
        with off.admit(1, "B") as tb:
            b0 = time.monotonic()
            await off.run(tb, _work, log, "B", 0.01)
            assert time.monotonic() - b0 < 0.3  # behind the one piece running, not the four dropped

    try:
        asyncio.run(scenario())
    finally:
        off.close()
    assert [n for n, _ in log] == ["A", "B"], log


# -- over HTTP, with the real engine -------------------------------------------------------------------
def _signed(t: Tenant, path: str) -> dict[str, str]:
    h = sign_request(t.access_key, t.secret, "POST", path)
    h["Content-Type"] = "application/json"
    return h


async def _detect(c: httpx.AsyncClient, t: Tenant, images: list[str]) -> httpx.Response:
    path = f"{PREFIX}/{t.app_id}/detect"
    body = json.dumps({"images": [{"data": d} for d in images]})
    return await c.post(path, content=body, headers=_signed(t, path))


def _app(tmp_path: Path, engine: Engine, **kw: Any) -> tuple[Any, Tenant, Tenant, Any]:
    kw.setdefault("inference_threads", 2)
    settings = Settings(data_dir=tmp_path / "data", model_dir=tmp_path / "m", **kw)
    store = open_test_store(settings)
    a, b = make_tenant(store, settings, name="a"), make_tenant(store, settings, name="b")
    return create_app(settings, engine=engine, store=store), a, b, store


def test_an_app_over_its_share_gets_429_with_retry_after(
    tmp_path: Path, engine: Engine, photos: dict[str, str]
) -> None:
    app, a, b, store = _app(tmp_path, engine, app_max_pending_images=3)

    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            first = asyncio.ensure_future(_detect(c, a, [photos["couple"]] * 3))
            await asyncio.sleep(0.05)
            over = await _detect(c, a, [photos["jolie1"]])
            other = await _detect(c, b, [photos["jolie1"]])
            return await first, over, other

    try:
        first, over, other = asyncio.run(scenario())
    finally:
        store.close()
    assert first.status_code == 200 and other.status_code == 200
    assert over.status_code == 429, over.text
    body = over.json()
    assert (body["code"], body["internal_code"]) == (8, 3004)
    assert int(over.headers["retry-after"]) >= 1


def test_past_the_deadline_the_caller_gets_504_code_4(
    tmp_path: Path, engine: Engine, photos: dict[str, str]
) -> None:
    app, a, _, store = _app(tmp_path, engine, request_deadline_s=0.05)

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await _detect(c, a, [photos["couple"]] * 6)

    try:
        r = asyncio.run(scenario())
    finally:
        store.close()
    assert r.status_code == 504, r.text
    assert (r.json()["code"], r.json()["internal_code"]) == (4, 5102)


def test_a_client_that_hangs_up_stops_its_queued_work(
    tmp_path: Path, engine: Engine, photos: dict[str, str]
) -> None:
    """The ASGI app is called as a server calls it; the client's disconnect arrives while 8 images wait."""
    app, a, _, store = _app(tmp_path, engine, inference_threads=1)
    calls = {"n": 0}
    real = engine.detect
    lock = threading.Lock()

    def counting(*args: Any, **kw: Any) -> Any:
        with lock:
            calls["n"] += 1
        return real(*args, **kw)

    path = f"{PREFIX}/{a.app_id}/detect"
    body = json.dumps({"images": [{"data": photos["couple"]}] * 8}).encode()
    headers = [(k.lower().encode(), v.encode()) for k, v in _signed(a, path).items()]
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1),
             "server": ("t", 80), "root_path": ""}
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        hang_up = asyncio.Event()
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await hang_up.wait()
            return {"type": "http.disconnect"}

        async def send(m: dict[str, Any]) -> None:
            sent.append(m)

        asgi = asyncio.ensure_future(app(scope, receive, send))
        await asyncio.sleep(0.3)
        with lock:
            calls["at_hang_up"] = calls["n"]
            hang_up.set()
        await asyncio.wait_for(asgi, 10)
        await asyncio.sleep(1.5)  # what was running ends; nothing queued starts

    engine.detect = counting  # type: ignore[method-assign]
    try:
        asyncio.run(scenario())
    finally:
        engine.detect = real  # type: ignore[method-assign]
        store.close()
    assert not any(m["type"] == "http.response.start" for m in sent)  # no answer to a client that left
    # the image running at the hang-up (one place) ended; those queued behind it never started
    assert calls["n"] <= calls["at_hang_up"] + 1 and calls["n"] < 8, calls
