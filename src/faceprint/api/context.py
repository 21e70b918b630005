"""What every route needs: the service, the inference pool, metrics; and the route dependencies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Path, Request

from faceprint import errors as fpe
from faceprint.api.errors import trace_id_of
from faceprint.api.metrics import Metrics
from faceprint.service import FaceService

__all__ = ["AppId", "Context", "Ctx", "TraceId", "get_ctx"]

T = TypeVar("T")


@dataclass
class Context:
    service: FaceService
    pool: ThreadPoolExecutor
    metrics: Metrics
    #: Threads of the inference pool.
    workers: int
    #: Images in the engine's hands or waiting for it, all requests together, beyond which a request is
    #: turned away (Overloaded) rather than queued.
    max_pending: int = 256
    #: Images admitted now (changed on the event loop only).
    pending: int = 0

    @contextlib.contextmanager
    def admit(self, images: int) -> Iterator[None]:
        """Holds ``images`` places of the engine's queue for one request, or raises Overloaded (503,
        5101) at once when they are not free. A request alone is let in whatever its size, so the limit
        cannot refuse every request."""
        if self.pending and self.pending + images > self.max_pending:
            raise fpe.Overloaded(f"The service has {self.pending} images in hand; retry later.")
        self.pending += images
        try:
            yield
        finally:
            self.pending -= images

    async def infer(self, fn: Callable[..., T], *args: Any) -> T:
        """Run engine work in the inference pool (sized to the cores), never on the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run store work in a worker thread."""
        return await anyio.to_thread.run_sync(fn, *args)


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
