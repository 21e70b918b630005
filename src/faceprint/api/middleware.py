"""The ASGI middleware in front of every route: trace id, access log, metrics, body limit, HMAC auth.

For ``/openapi/`` paths, before any route runs (as nginx and Kong do in front of Mercury):

1. a ``Content-Length`` over ``max_body_bytes`` -> 413 ``BodyTooLarge``;
2. Kong hmac-auth (:mod:`faceprint.api.auth`) -> Kong's 401s; the access key is looked up through the awaited
   ``lookup`` (a :class:`~faceprint.api.auth.KeyCache`), so the store is never read on the event loop;
3. an app that has its whole share of the engine in hand -> 429 ``AppBusy`` before its body is read;
4. the body is read, counting bytes -> 413 ``BodyTooLarge`` as soon as it passes the limit;
5. an optional ``Digest`` header must match the body -> 401 ``HMAC signature does not match``; the opt-in
   stricter modes of :mod:`faceprint.api.replay` (signed headers enforced, Digest required, replays refused);
6. the ``{app_id}`` of the path must be the access key's app -> 403 ``WrongApp`` (code 7);
7. the body is handed on as JSON whatever its ``Content-Type``, and a trailing slash is dropped (no redirect).

The authenticated app id is left in ``scope["state"]["app_id"]`` for the routes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceprint import errors as fpe
from faceprint.api.auth import AsyncSecretLookup, authenticate, digest_matches
from faceprint.api.errors import (
    KONG_MISMATCH,
    KONG_NOT_VERIFIED,
    GatewayRefusal,
    error_response,
    gateway_response,
    new_trace_id,
)
from faceprint.api.metrics import Metrics
from faceprint.api.replay import ReplayGuard
from faceprint.logsafe import printable

__all__ = ["API_PREFIX", "GatewayMiddleware"]

API_PREFIX = "/openapi/face/v1/"
access_log = logging.getLogger("faceprint.access")
#: The operations that run the face engine (the only ones an app over its share is refused).
_ENGINE_PATHS = ("/detect", "/compare", "/quality", "/features", "/databases/search")



class _TooLarge(Exception):
    pass


class GatewayMiddleware:
    """Wraps the FastAPI app. ``await lookup(access_key)`` -> Credential | None, the key's app and secret
    when it is active (a :class:`~faceprint.api.auth.KeyCache` over the store)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        lookup: AsyncSecretLookup,
        metrics: Metrics,
        max_body_bytes: int,
        clock_skew_s: float,
        busy: Callable[[str], fpe.FaceprintError | None] | None = None,
        enforce_headers: tuple[str, ...] = (),
        validate_body: bool = False,
        reject_replays: bool = False,
    ) -> None:
        self.app = app
        self.busy = busy
        #: The stricter HMAC modes (faceprint.api.replay), all off by default.
        self.enforce_headers = tuple(h.strip().lower() for h in enforce_headers if h.strip())
        self.validate_body = validate_body
        # a date is good for the skew before and after now: its signature is remembered for both
        self.replays = ReplayGuard(2 * clock_skew_s) if reject_replays else None
        self.lookup = lookup
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.skew = clock_skew_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = new_trace_id()
        scope.setdefault("state", {})["trace_id"] = trace_id
        status = {"code": 500}
        start = time.perf_counter()

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-trace-id"]
                headers.append((b"x-trace-id", trace_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        self.metrics.inflight.inc()
        try:
            if scope["path"].startswith("/openapi/"):
                await self._guarded(scope, receive, send_traced, trace_id)
            else:
                await self.app(scope, receive, send_traced)
        finally:
            self.metrics.inflight.dec()
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            if scope["state"].get("client_gone"):
                status["code"] = 499  # nginx's "client closed request": nothing was answered
            self.metrics.observe(endpoint, scope["method"], status["code"], elapsed)
            # everything a client chose (method, path, query, app id) is escaped: one request, one log line
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            query = scope.get("query_string", b"")
            target = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
            access_log.info(
                "%s %s %s %d %.1fms app=%s trace_id=%s",
                scope.get("client", ("-",))[0] if scope.get("client") else "-",
                printable(scope["method"], 16), printable(target), status["code"], elapsed * 1000.0,
                printable(scope["state"].get("app_id", "-"), 64), trace_id,
            )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, trace_id: str) -> None:
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        hmap = dict(headers)
        length = hmap.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max_body:
            await error_response(fpe.BodyTooLarge(), trace_id)(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        raw_path = scope.get("raw_path") or scope["path"].encode()
        request_uri = raw_path.decode("latin-1") + (f"?{query}" if query else "")
        try:
            principal = await authenticate(
                method=scope["method"], request_uri=request_uri, path=scope["path"],
                http_version=scope.get("http_version", "1.1"), headers=headers,
                lookup=self.lookup, clock_skew=self.skew,
            )
        except GatewayRefusal as refusal:
            await gateway_response(refusal.message, trace_id)(scope, receive, send)
            return
        if any(h not in principal.signed for h in self.enforce_headers):
            await gateway_response(KONG_NOT_VERIFIED, trace_id)(scope, receive, send)
            return
        engine_work = scope["method"] == "POST" and scope["path"].rstrip("/").endswith(_ENGINE_PATHS)
        busy = self.busy(principal.app_id) if self.busy is not None and engine_work else None
        if busy is not None:  # the app has its whole share in hand: refused before its body is read
            await error_response(busy, trace_id)(scope, receive, send)
            return
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await error_response(fpe.BodyTooLarge(), trace_id)(scope, receive, send)
            return
        digest = hmap.get("digest")
        if (digest is not None and not digest_matches(digest, body)) or (
            digest is None and body and self.validate_body
        ):
            await gateway_response(KONG_MISMATCH, trace_id)(scope, receive, send)
            return
        if self.replays is not None and not self.replays.first_use(principal.access_key, principal.signature):
            await gateway_response(KONG_NOT_VERIFIED, trace_id)(scope, receive, send)
            return
        path_app = _path_app_id(scope["path"])
        if path_app is not None and path_app != principal.app_id:
            await error_response(fpe.WrongApp(), trace_id)(scope, receive, send)
            return
        scope["state"]["app_id"] = principal.app_id
        scope["state"]["access_key"] = principal.access_key
        _as_json(scope)
        await _unless_disconnected(self.app, scope, body, receive, send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _as_json(scope: Scope) -> None:
    """The request as the routes take it, once its signature is verified over what the client sent:

    * every body of the API is JSON, whatever ``Content-Type`` says or if it says nothing (``curl -d`` sends
      ``application/x-www-form-urlencoded``, ``requests.post(data=...)`` nothing, some clients ``text/json``);
      a body that is not JSON is then InvalidRequest (1000), as before;
    * a trailing slash is answered as the same path without it (never a 307 redirect, which a client
      following it could not sign again).
    """
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
    headers.append((b"content-type", b"application/json"))
    path = scope["path"]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    scope["headers"] = headers
    scope["path"] = path  # changed in place: the access log and metrics read the route the router set


def _path_app_id(path: str) -> str | None:
    if not path.startswith(API_PREFIX):
        return None
    return path[len(API_PREFIX) :].split("/", 1)[0] or None


async def _unless_disconnected(app: ASGIApp, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
    """Runs the route with ``body`` while listening to the connection: when the client hangs up before the
    answer has started, the route is cancelled, so its images not yet started leave the engine's queue
    (a client that gave up costs the others nothing more)."""
    gone = asyncio.Event()
    started = False
    body_sent = False

    async def replay_then_wait() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send_marked(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    task = asyncio.ensure_future(app(scope, replay_then_wait, send_marked))

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
                if not started and not task.done():
                    task.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        await task
    except asyncio.CancelledError:
        if not gone.is_set():
            raise  # the server is stopping, not the client
        scope["state"]["client_gone"] = True
    finally:
        watcher.cancel()

