"""The app factory: ``create_app(settings, engine=None, store=None)`` -> a FastAPI (ASGI) application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from faceprint import __version__
from faceprint import errors as fpe
from faceprint.api import console, routes_db, routes_images, routes_people
from faceprint.api.auth import Credential, KeyCache, SecretLookup
from faceprint.api.context import Context
from faceprint.api.docs import install_docs
from faceprint.api.errors import install_handlers
from faceprint.api.metrics import Metrics
from faceprint.api.middleware import GatewayMiddleware
from faceprint.api.openapi_doc import AUTH_DOC, install_openapi
from faceprint.logsafe import printable
from faceprint.secrets import SealError, SecretBox
from faceprint.service import FaceService
from faceprint.settings import Settings
from faceprint.storage.base import Store, TenantStore

if TYPE_CHECKING:
    from faceprint.engine.protocol import FaceEngine

__all__ = ["create_app"]

log = logging.getLogger("faceprint.api")

def _key_lookup(store: TenantStore, box: SecretBox) -> SecretLookup:
    def lookup(access_key: str) -> Credential | None:
        key = store.get_key(access_key)
        if key is None or not key.active:
            return None
        try:
            return Credential(key.app_id, box.open(key.access_key, key.sealed_secret))
        except SealError:
            log.error("access key %s: sealed secret does not open with this server key", printable(access_key, 64))
            return None

    return lookup


def _load_engine(settings: Settings) -> FaceEngine | None:
    if not settings.model_dir.is_dir():
        log.error("face engine not loaded: no model folder %s (run `faceprint models pull`)", settings.model_dir)
        return None
    try:
        processes = settings.engine_process_count()
        if processes:
            from faceprint.engine.processes import EngineProcesses

            log.info("starting %d face engine worker processes", processes)
            return EngineProcesses(settings, processes)
        from faceprint.engine import Engine

        return Engine.from_settings(settings)
    except fpe.ModelMissing as e:
        log.error("face engine not loaded: %s", e.message)
        return None


def create_app(
    settings: Settings, engine: FaceEngine | None = None, store: Store | None = None,
    *, owned: bool = False,
) -> FastAPI:
    """The Mercury Cloud face OpenAPI v1.5.0 over ``engine`` and ``store``.

    ``store`` None: the store of ``settings`` is opened (and closed at shutdown). ``engine`` None: the
    models are loaded from ``settings.model_dir``, in ``settings.engine_process_count()`` worker processes
    (stopped at shutdown) or in this process; when they are missing the app still serves the
    database APIs, /readyz answers 503 and image APIs answer ModelMissing. ``owned``: the given engine
    and store are the app's to close at shutdown too (uvicorn ends the process by re-raising SIGTERM
    after the shutdown, so code after ``uvicorn.run`` does not run)."""
    owns_store = store is None or owned
    owns_engine = engine is None or owned
    if store is None:
        from faceprint.storage.factory import open_store

        store = open_store(settings)
    if engine is None:
        engine = _load_engine(settings)
    box = SecretBox.from_settings(settings)
    metrics = Metrics()
    service = FaceService(engine, store, settings)
    ctx = Context(service, metrics)
    the_store = store

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            service.close()
            if owns_engine and engine is not None:
                engine.close()
            if owns_store:
                the_store.close()

    app = FastAPI(
        title="Faceprint: Mercury Cloud face OpenAPI",
        version="1.5.0",
        description="Self-hosted face detection, verification, quality check and 1:N search, serving the "
        f"Mercury Cloud face OpenAPI v1.5.0 (Faceprint {__version__}).\n\n{AUTH_DOC}",
        lifespan=lifespan,
        docs_url=None,
        redirect_slashes=False,
    )
    app.state.ctx = ctx
    app.state.settings = settings
    app.include_router(routes_images.router)
    app.include_router(routes_db.router)
    app.include_router(console.router)  # /console: static files; the browser signs its API calls
    app.include_router(routes_people.router)
    _ops_routes(app, ctx)
    install_docs(app)
    install_handlers(app)
    keys = KeyCache(_key_lookup(store, box), ttl=settings.key_cache_seconds)
    app.add_middleware(
        GatewayMiddleware, lookup=keys, metrics=metrics,
        max_body_bytes=settings.max_body_bytes, clock_skew_s=settings.clock_skew_s, busy=service.offload.busy,
        enforce_headers=tuple(settings.hmac_enforce_headers.split(",")), validate_body=settings.hmac_validate_body,
        reject_replays=settings.hmac_reject_replays,
    )
    install_openapi(app, settings)
    return app


def _ops_routes(app: FastAPI, ctx: Context) -> None:
    @app.get("/healthz", tags=["ops"], summary="Liveness (no signature)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: models loaded and store open (no signature)")
    async def readyz(request: Request) -> Response:
        problems = await ctx.service.problems()
        body = {"status": "ready" if not problems else "not ready", "problems": problems}
        return JSONResponse(body, status_code=200 if not problems else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics (no signature)", response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text exposition format 0.0.4."}})
    async def metrics() -> Response:
        return Response(ctx.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
