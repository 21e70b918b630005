"""The ONE place where errors become HTTP responses.

* Domain errors (:class:`~faceprint.errors.FaceprintError`) -> the HTTP status of :func:`http_status` (the
  gRPC ``code`` as grpc-gateway maps it, :data:`GRPC_TO_HTTP`; 413 for ``BodyTooLarge``, as nginx answers an
  over-long body) with ``{"trace_id", "code", "message", "internal_code"}``.
* Gateway (Kong hmac-auth) refusals -> HTTP 401 with Kong's exact ``{"message": ...}`` body and no other
  field, as Kong answers them before the request reaches the service (the trace id is in ``X-Trace-Id``).
* Pydantic validation failures -> the specific domain error a validator named (see
  :func:`domain_error`), else :class:`~faceprint.errors.InvalidRequest`; never FastAPI's 422 shape.
* Unknown routes -> 404 ``RouteNotFound``, a known path with another method -> 405 ``MethodNotAllowed``
  (with ``Allow``); anything unexpected -> 500 ``InternalError``.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from faceprint import errors as fpe

__all__ = [
    "GRPC_TO_HTTP",
    "KONG_BAD_DATE",
    "KONG_MISMATCH",
    "KONG_NOT_VERIFIED",
    "KONG_UNAUTHORIZED",
    "GatewayRefusal",
    "domain_error",
    "error_body",
    "error_response",
    "gateway_response",
    "http_status",
    "install_handlers",
    "new_trace_id",
    "trace_id_of",
]

log = logging.getLogger("faceprint.api")

KONG_UNAUTHORIZED = "Unauthorized"
KONG_BAD_DATE = (
    "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication"
)
KONG_NOT_VERIFIED = "HMAC signature cannot be verified"
KONG_MISMATCH = "HMAC signature does not match"

_BY_INTERNAL: dict[int, type[fpe.FaceprintError]] = {c.internal_code: c for c in fpe.all_error_types()}

#: gRPC canonical code -> HTTP status, as grpc-gateway maps them.
GRPC_TO_HTTP: dict[int, int] = {
    0: 200, 1: 408, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
    9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

#: Domain errors answered with another status than their code's (matched on the class and its subclasses).
_STATUS_OF_TYPE: dict[type[fpe.FaceprintError], int] = {fpe.BodyTooLarge: 413, fpe.MethodNotAllowed: 405}


class GatewayRefusal(Exception):
    """An authentication failure answered exactly as Kong's hmac-auth plugin answers it (HTTP 401)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_trace_id() -> str:
    """32 lowercase hex characters."""
    return uuid.uuid4().hex


def trace_id_of(scope_or_request: Request | dict[str, Any]) -> str:
    """The request's trace id (set by the middleware; a fresh one if absent)."""
    scope = scope_or_request.scope if isinstance(scope_or_request, Request) else scope_or_request
    state = scope.setdefault("state", {})
    tid = state.get("trace_id")
    if not isinstance(tid, str):
        tid = new_trace_id()
        state["trace_id"] = tid
    return tid


def domain_error(internal_code: int, message: str) -> PydanticCustomError:
    """A pydantic validation error that the handler turns into the domain error ``internal_code``.

    Raise it from a validator: ``raise domain_error(fpe.BadKey.internal_code, "...")``."""
    return PydanticCustomError("faceprint", message, {"internal_code": internal_code})


def http_status(err: fpe.FaceprintError) -> int:
    """The HTTP status ``err`` is answered with: its type's own status if it has one, else its gRPC code's."""
    for cls in type(err).__mro__:
        status = _STATUS_OF_TYPE.get(cls)
        if status is not None:
            return status
    return GRPC_TO_HTTP.get(err.code, 500)


def error_body(err: fpe.FaceprintError, trace_id: str) -> dict[str, Any]:
    """The JSON body of an error answer: ``{"trace_id", "code", "message", "internal_code"}``."""
    return {
        "trace_id": trace_id, "code": err.code, "message": err.message, "internal_code": err.internal_code,
    }


def error_response(
    err: fpe.FaceprintError, trace_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The whole error answer: :func:`http_status`, :func:`error_body` and the ``X-Trace-Id`` header (and
    ``Retry-After`` for AppBusy)."""
    h = {"X-Trace-Id": trace_id, **(headers or {})}
    if isinstance(err, fpe.AppBusy):
        h["Retry-After"] = str(err.retry_after)
    return JSONResponse(error_body(err, trace_id), status_code=http_status(err), headers=h)


def gateway_response(message: str, trace_id: str) -> Response:
    """Kong's 401: ``{\\n  "message":"..."\\n}`` with ``application/json; charset=utf-8``."""
    body = '{\n  "message":' + json.dumps(message) + "\n}"
    return Response(
        body.encode(),
        status_code=401,
        media_type="application/json; charset=utf-8",
        headers={"X-Trace-Id": trace_id},
    )


def _from_validation(exc: RequestValidationError) -> fpe.FaceprintError:
    errs = exc.errors()
    for e in errs:
        ctx = e.get("ctx") or {}
        code = ctx.get("internal_code") if isinstance(ctx, dict) else None
        if isinstance(code, int) and code in _BY_INTERNAL:
            return _BY_INTERNAL[code](str(e.get("msg", "")) or None)
    if errs:
        first = errs[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = str(first.get("msg", "invalid"))
        return fpe.InvalidRequest(f"The request is malformed: {where}: {msg}." if where else f"{msg}.")
    return fpe.InvalidRequest()


def _allowed(request: Request) -> str:
    """Every method some route of the app takes on this path (Starlette names the first route's only)."""
    methods = [
        m for m in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
        if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in request.app.router.routes)
    ]
    return ", ".join(methods)


def install_handlers(app: FastAPI) -> None:
    """Register every exception handler on ``app``."""

    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, fpe.FaceprintError)
        return error_response(exc, trace_id_of(request))

    async def on_gateway(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayRefusal)
        return gateway_response(exc.message, trace_id_of(request))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(_from_validation(exc), trace_id_of(request))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        err: fpe.FaceprintError
        if exc.status_code == 405:
            allow = _allowed(request) or (exc.headers or {}).get("Allow", "")
            err = fpe.MethodNotAllowed(f"{request.url.path} does not take {request.method}; it takes {allow}.")
            return error_response(err, trace_id_of(request), {"Allow": allow} if allow else None)
        if exc.status_code == 404:
            err = fpe.RouteNotFound(f"No route for {request.method} {request.url.path}.")
        elif exc.status_code == 413:
            err = fpe.BodyTooLarge()
        elif exc.status_code < 500:
            err = fpe.InvalidRequest(str(exc.detail))
        else:
            err = fpe.InternalError()
        return error_response(err, trace_id_of(request))

    async def on_any(request: Request, exc: Exception) -> Response:
        tid = trace_id_of(request)
        log.exception("unhandled error trace_id=%s", tid, exc_info=exc)
        return error_response(fpe.InternalError(), tid)

    app.add_exception_handler(fpe.FaceprintError, on_domain)
    app.add_exception_handler(GatewayRefusal, on_gateway)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_any)
