"""Where blocking work runs, typed end to end: engine work in the inference pool (sized to the cores),
store work in worker threads, never on the event loop; how many images the engine may hold at once, all
apps together and per app; and each app's fair share of the engine (:mod:`faceprint.service._fair`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import anyio

from faceprint import errors as fpe
from faceprint.service._fair import FairGate, Ticket

__all__ = ["Offload", "Ticket"]

P = ParamSpec("P")
T = TypeVar("T")


class Offload:
    """``threads``: inference threads (the engine's places). ``max_pending``: images in the engine's hands or
    waiting for it, all requests together, beyond which a request is turned away (Overloaded) rather than
    queued. ``app_max_pending``: the same for one app (AppBusy, 429 with Retry-After). ``app_slots``: places
    one app may hold while others are active (0: all but one). ``deadline_s``: each request's time limit
    from its admission (0: none)."""

    def __init__(
        self, threads: int, max_pending: int = 256, *, app_max_pending: int = 0, app_slots: int = 0,
        deadline_s: float = 0.0,
    ) -> None:
        self.threads = max(1, threads)
        self.max_pending = max_pending
        self.app_max_pending = app_max_pending or max_pending
        self.deadline_s = deadline_s
        #: Images admitted now, all apps and per app (changed on the event loop only).
        self.pending = 0
        self.pending_by_app: dict[str, int] = {}
        self.gate = FairGate(self.threads, app_slots)
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="faceprint-infer")

    def busy(self, app_id: str) -> fpe.AppBusy | None:
        """AppBusy when ``app_id`` already has its whole share in hand, so that any new request of it would be
        refused: the front can answer 429 before reading (and parsing) the request's body."""
        mine = self.pending_by_app.get(app_id, 0)
        if mine and mine >= self.app_max_pending:
            return fpe.AppBusy(
                f"This app has {mine} images in the face engine's hands (at most {self.app_max_pending}); "
                "retry later.", retry_after=self.gate.retry_after(app_id, mine),
            )
        return None

    @contextlib.contextmanager
    def admit(self, images: int, app_id: str = "") -> Iterator[Ticket]:
        """Holds ``images`` places of the engine's queue for one request of ``app_id``, or raises at once:
        AppBusy (429) when the app has ``app_max_pending`` images in hand already, Overloaded (503) when all
        apps together have ``max_pending``. A request alone (of its app, of the server) is always let in, so
        the limits cannot refuse every request. The ticket carries the request's deadline."""
        mine = self.pending_by_app.get(app_id, 0)
        if mine and mine + images > self.app_max_pending:
            raise fpe.AppBusy(
                f"This app has {mine} images in the face engine's hands (at most {self.app_max_pending}); "
                "retry later.", retry_after=self.gate.retry_after(app_id, mine),
            )
        if self.pending and self.pending + images > self.max_pending:
            raise fpe.Overloaded(f"The service has {self.pending} images in hand; retry later.")
        self.pending += images
        self.pending_by_app[app_id] = mine + images
        deadline = time.monotonic() + self.deadline_s if self.deadline_s > 0 else math.inf
        try:
            yield Ticket(app_id, images, deadline)
        finally:
            self.pending -= images
            left = self.pending_by_app[app_id] - images
            if left:
                self.pending_by_app[app_id] = left
            else:
                del self.pending_by_app[app_id]

    async def run(self, ticket: Ticket, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in the inference pool once ``ticket``'s app has its turn (fair queueing);
        RequestDeadline when the deadline passes first, while waiting or while it runs (the running call
        then ends on its own, holding its place until it does)."""
        await self.gate.acquire(ticket)
        started = time.monotonic()
        try:
            cf: Future[T] = self._pool.submit(functools.partial(fn, *args, **kwargs))
        except BaseException:
            self.gate.release(ticket.app_id)
            raise
        loop = asyncio.get_running_loop()

        def done(_: Future[T]) -> None:
            loop.call_soon_threadsafe(self.gate.release, ticket.app_id, time.monotonic() - started)

        cf.add_done_callback(done)
        fut = asyncio.wrap_future(cf)
        timeout = ticket.remaining()
        if math.isinf(timeout):
            return await asyncio.shield(fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout=max(0.0, timeout))
        except TimeoutError:
            raise fpe.RequestDeadline() from None

    async def store(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in a worker thread (store calls block on disk or the network)."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        """Waits for the engine work in progress and drops what is queued."""
        self._pool.shutdown(wait=True, cancel_futures=True)
