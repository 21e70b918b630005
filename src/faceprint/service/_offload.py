"""Where blocking work runs, typed end to end: engine work in the inference pool (sized to the cores),
store work in worker threads, never on the event loop; and how many images the engine may hold at once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import anyio

from faceprint import errors as fpe

__all__ = ["Offload"]

P = ParamSpec("P")
T = TypeVar("T")


class Offload:
    """``threads``: inference threads. ``max_pending``: images in the engine's hands or waiting for it, all
    requests together, beyond which a request is turned away (Overloaded) rather than queued."""

    def __init__(self, threads: int, max_pending: int = 256) -> None:
        self.threads = max(1, threads)
        self.max_pending = max_pending
        #: Images admitted now (changed on the event loop only).
        self.pending = 0
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="faceprint-infer")

    @contextlib.contextmanager
    def admit(self, images: int) -> Iterator[None]:
        """Holds ``images`` places of the engine's queue for one request, or raises Overloaded (503, 5101) at
        once when they are not free. A request alone is let in whatever its size, so the limit cannot refuse
        every request."""
        if self.pending and self.pending + images > self.max_pending:
            raise fpe.Overloaded(f"The service has {self.pending} images in hand; retry later.")
        self.pending += images
        try:
            yield
        finally:
            self.pending -= images

    async def engine(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in the inference pool."""
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    async def store(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in a worker thread (store calls block on disk or the network)."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        """Waits for the engine work in progress and drops what is queued."""
        self._pool.shutdown(wait=True, cancel_futures=True)
