"""What every route needs (the service and the metrics) and the route dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from faceprint import errors as fpe
from faceprint.api.errors import trace_id_of
from faceprint.api.metrics import Metrics
from faceprint.service import FaceService

__all__ = ["AppId", "Context", "Ctx", "TraceId", "get_ctx"]


@dataclass(frozen=True, slots=True)
class Context:
    #: The one seam to the engine and the store: routes parse, call it, and render.
    service: FaceService
    metrics: Metrics


def get_ctx(request: Request) -> Context:
    ctx = request.app.state.ctx
    if not isinstance(ctx, Context):
        raise fpe.InternalError("The application is not initialised.")
    return ctx


def _app_id(
    request: Request,
    app_id: Annotated[str, Path(description="Your App ID (a UUID).")],
    x_date: Annotated[
        str | None,
        Header(alias="x-date", description="RFC 7231 date in GMT, e.g. `Fri, 09 Jul 2021 01:51:02 GMT`; "
               "signed with the request-line (see the Authorization scheme)."),
    ] = None,
) -> str:
    """The authenticated app (the middleware has checked that the path's app_id is the key's app)."""
    authed = request.scope.get("state", {}).get("app_id")
    if not isinstance(authed, str) or authed != app_id:
        raise fpe.WrongApp()
    return authed


def _trace_id(request: Request) -> str:
    return trace_id_of(request)


Ctx = Annotated[Context, Depends(get_ctx)]
AppId = Annotated[str, Depends(_app_id)]
TraceId = Annotated[str, Depends(_trace_id)]
