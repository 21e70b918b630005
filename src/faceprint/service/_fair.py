"""Fair shares of the face engine between apps, and a deadline per request.

The engine has ``slots`` places (its inference threads, each feeding a worker process). Every piece of
engine work (one image, or one compare) waits for a place in its app's own FIFO queue; a freed place goes to
the next app in turn (round robin over the apps that are waiting), so an app that queued a hundred images
delays another app's one image by at most the work already running, not by its queue.

While more than one app has used the engine in the last ``ACTIVE_WINDOW_S`` seconds, one app holds at most
``app_slots`` places at once (default: all but one), so another app's request always finds a place soon; an
app alone on the server uses every place.

A request that waits past its deadline is dropped from the queue (its remaining images never start) and
answered RequestDeadline; work already running cannot be stopped mid-image, but its place is held until it
ends and nothing else of that request starts. A cancelled request (its client hung up) leaves the queue the
same way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field

from faceprint import errors as fpe

__all__ = ["ACTIVE_WINDOW_S", "FairGate", "Ticket"]

#: How long an app counts as active after its last engine work started, seconds.
ACTIVE_WINDOW_S = 60.0


@dataclass(slots=True)
class Ticket:
    """One admitted request: its app, its images and its deadline (``time.monotonic()``; inf: none)."""

    app_id: str
    images: int
    deadline: float = math.inf
    #: Places granted and not yet released (debugging and tests).
    running: int = field(default=0)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class FairGate:
    """Round-robin places of the engine between apps (changed on the event loop only)."""

    def __init__(self, slots: int, app_slots: int = 0) -> None:
        self.slots = max(1, slots)
        #: Places one app may hold while others are active (0: all but one, at least one).
        self.app_slots = app_slots if app_slots > 0 else max(1, self.slots - 1)
        self.busy = 0
        self._running: dict[str, int] = {}
        self._queues: dict[str, deque[asyncio.Future[None]]] = {}
        self._turn: deque[str] = deque()
        self._last_seen: dict[str, float] = {}
        #: Mean seconds of one unit of engine work (exponential average), for Retry-After.
        self.unit_s = 0.5

    # -- state -----------------------------------------------------------------------------------
    def waiting(self, app_id: str) -> int:
        q = self._queues.get(app_id)
        return 0 if q is None else sum(1 for f in q if not f.done())

    def running(self, app_id: str) -> int:
        return self._running.get(app_id, 0)

    def _others_active(self, app_id: str, now: float) -> bool:
        return any(a != app_id and now - t < ACTIVE_WINDOW_S for a, t in self._last_seen.items())

    def _may_start(self, app_id: str, now: float) -> bool:
        if self.busy >= self.slots:
            return False
        return self.running(app_id) < self.app_slots or not self._others_active(app_id, now)

    # -- places ----------------------------------------------------------------------------------
    async def acquire(self, ticket: Ticket) -> None:
        """A place for one unit of ``ticket``'s work; RequestDeadline once its deadline passes first."""
        app = ticket.app_id
        now = time.monotonic()
        self._last_seen[app] = now
        if ticket.remaining() <= 0:
            raise fpe.RequestDeadline()
        if not self.waiting(app) and self._may_start(app, now):
            self._grant(app)
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._queues.setdefault(app, deque()).append(fut)
        if app not in self._turn:
            self._turn.append(app)
        try:
            timeout = ticket.remaining()
            if math.isinf(timeout):
                await fut
            else:
                await asyncio.wait_for(asyncio.shield(fut), timeout=max(0.0, timeout))
        except BaseException as exc:
            if fut.done() and not fut.cancelled():
                self.release(app)  # granted as the wait ended: hand the place on
            else:
                fut.cancel()
                self._dispatch()
            if isinstance(exc, TimeoutError):
                raise fpe.RequestDeadline() from None
            raise

    def _grant(self, app_id: str) -> None:
        self.busy += 1
        self._running[app_id] = self.running(app_id) + 1
        self._last_seen[app_id] = time.monotonic()

    def release(self, app_id: str, seconds: float | None = None) -> None:
        """Gives back a place (``seconds``: how long its work ran, for the Retry-After estimate)."""
        self.busy -= 1
        self._running[app_id] = self.running(app_id) - 1
        if seconds is not None:
            self.unit_s = 0.8 * self.unit_s + 0.2 * seconds
        self._dispatch()

    def _dispatch(self) -> None:
        now = time.monotonic()
        skipped = 0
        while self.busy < self.slots and self._turn and skipped < len(self._turn):
            app = self._turn[0]
            q = self._queues.get(app)
            while q and q[0].done():  # cancelled or timed out
                q.popleft()
            if not q:
                self._turn.popleft()
                self._queues.pop(app, None)
                skipped = 0
                continue
            self._turn.rotate(-1)
            if not self._may_start(app, now):
                skipped += 1
                continue
            skipped = 0
            q.popleft().set_result(None)
            self._grant(app)

    def retry_after(self, app_id: str, pending_images: int) -> int:
        """Seconds after which ``app_id``'s queue has likely room again."""
        return max(1, min(60, math.ceil(self.unit_s * pending_images / self.app_slots)))
