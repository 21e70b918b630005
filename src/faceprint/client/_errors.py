"""Errors the SDK raises: the server's answer as a typed exception.

An error answer ``{"trace_id", "code", "message", "internal_code"}`` becomes an :class:`ApiError` that is
*also* the matching domain error of :mod:`faceprint.errors`, chosen by ``internal_code`` (or, for an
internal code this SDK does not know, by the gRPC ``code``)::

    try:
        client.get_database("nope")
    except faceprint.errors.DatabaseNotFound as e:   # or: except ApiError
        e.status, e.code, e.internal_code, e.message, e.trace_id   # 404, 5, 2002, "...", "3f..."

Tree::

    FaceprintError
    ├── ApiError                 the server answered with an error (HTTP status >= 400)
    │   └── AuthenticationError the gateway's 401 (missing / stale / wrong signature), code 16
    └── Unavailable
        └── TransportError       no answer: connection refused, reset, or timed out
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar

from faceprint import errors as fe

__all__ = ["ApiError", "AuthenticationError", "TransportError", "error_from_response", "error_type"]

#: HTTP status -> gRPC code, for error answers without a JSON body (a proxy's 502, say).
_HTTP_TO_GRPC: dict[int, int] = {
    400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 6, 413: 3, 429: 8, 501: 12, 503: 14, 504: 4,
}

#: gRPC code -> HTTP status (grpc-gateway's table, as the server answers), for a failed item of a batch answer
#: that carries a code but no status of its own. The SDK keeps its own copy because it never imports the
#: server side; tests/api/test_error_status.py checks that the two agree.
_GRPC_TO_HTTP: dict[int, int] = {
    0: 200, 1: 408, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
    9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

#: Errors the server answers with another status than their code's (its faceprint.api.errors table).
_STATUS_OF_INTERNAL: dict[int, int] = {fe.BodyTooLarge.internal_code: 413, fe.MethodNotAllowed.internal_code: 405}

_CATEGORY: dict[int, type[fe.FaceprintError]] = {
    3: fe.InvalidArgument,
    5: fe.NotFound,
    7: fe.PermissionDenied,
    8: fe.ResourceExhausted,
    9: fe.FailedPrecondition,
    13: fe.Internal,
    14: fe.Unavailable,
    4: fe.DeadlineExceeded,
    12: fe.Unimplemented,
}


class ApiError(fe.FaceprintError):
    """The server answered with an error.

    Attributes: ``status`` (HTTP status), ``code`` (gRPC canonical code), ``internal_code`` (Faceprint's
    stable cause number, 0 when the server gave none), ``message`` and ``trace_id`` (32 hex, "" if none),
    ``body`` (the decoded JSON answer, or ``{}``)."""

    #: The HTTP status of the answer (set per class by :func:`error_type`).
    http_status: ClassVar[int] = 500

    def __init__(
        self, message: str | None = None, *, trace_id: str = "", body: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.trace_id = trace_id
        self.body: dict[str, Any] = dict(body or {})

    @property
    def status(self) -> int:
        """The HTTP status the server answered with."""
        return self.http_status

    def __str__(self) -> str:
        tail = f" (trace_id {self.trace_id})" if self.trace_id else ""
        return f"HTTP {self.status}, code {self.code}/{self.internal_code}: {self.message}{tail}"


class AuthenticationError(ApiError):
    """The gateway refused the request's signature (HTTP 401): wrong keys, a clock off by more than the
    allowed skew, or no credentials at all."""

    code = 16
    http_status = 401
    default_message = "Unauthorized"


class TransportError(fe.Unavailable):
    """No answer came back: the connection failed or the request timed out (after any retries)."""

    default_message = "The service could not be reached."


def error_type(code: int, internal_code: int, http_status: int | None = None) -> type[ApiError]:
    """The exception class for one kind of error answer: a subclass of :class:`ApiError` and of the
    domain class of ``internal_code`` (or of ``code``'s category), with those numbers as class values.
    ``http_status`` None: the status the server answers ``code`` with (for a failed item of a batch)."""
    if http_status is None:
        http_status = _STATUS_OF_INTERNAL.get(internal_code) or _GRPC_TO_HTTP.get(code, 500)
    return _error_type(code, internal_code, http_status)


@functools.lru_cache(maxsize=256)
def _error_type(code: int, internal_code: int, http_status: int) -> type[ApiError]:
    if http_status == 401:
        return AuthenticationError
    domain: type[fe.FaceprintError] | None = None
    for cls in fe.all_error_types():
        if cls.internal_code == internal_code and cls.code == code:
            domain = cls
            break
    if domain is None:
        domain = _CATEGORY.get(code, fe.FaceprintError)
    bases: tuple[type, ...] = (ApiError,) if domain is fe.FaceprintError else (ApiError, domain)
    name = "ApiError" if domain is fe.FaceprintError else f"Api{domain.__name__}"
    attrs = {"code": code, "internal_code": internal_code, "http_status": http_status, "__module__": __name__}
    new: type[ApiError] = type(name, bases, attrs)
    return new


def error_from_response(http_status: int, body: Any, text: str = "") -> ApiError:
    """Build the exception for an error answer: ``body`` is the decoded JSON (or None), ``text`` the raw
    body used as the message when there is no JSON."""
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    code = data.get("code")
    if not isinstance(code, int):
        code = _HTTP_TO_GRPC.get(http_status, 13 if http_status >= 500 else 2)
    internal = data.get("internal_code")
    if not isinstance(internal, int):
        internal = 0
    message = data.get("message")
    if not isinstance(message, str) or not message:
        message = text.strip()[:300] or f"HTTP {http_status}"
    trace_id = data.get("trace_id")
    cls = error_type(code, internal, http_status)
    return cls(message, trace_id=trace_id if isinstance(trace_id, str) else "", body=data)
