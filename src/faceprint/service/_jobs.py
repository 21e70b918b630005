"""Background jobs: long work (clustering a database, finding its duplicates) that a request starts, waits
for a while, and otherwise leaves to be polled.

A job belongs to the app that started it: another app's job id is unknown (JobNotFound). An app runs at most
``max_running`` jobs at once (one more: TooManyJobs); a finished job's answer is kept ``keep_s`` seconds, at
most :data:`MAX_KEPT` per app (the oldest finished go first). Jobs run in their own threads, so they never hold
up the store's or the engine's workers; deleting a running job cancels it at its next progress report.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from faceprint import errors as fpe

__all__ = ["CANCELLED", "DONE", "FAILED", "MAX_KEPT", "RUNNING", "Job", "JobRegistry"]

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
#: Finished jobs kept per app.
MAX_KEPT = 16


class _Cancelled(Exception):
    """Raised inside a job's work when the job was deleted."""


@dataclass(eq=False)
class Job:
    """One job; ``result`` when ``status`` is done, ``error`` when failed."""

    job_id: str
    app_id: str
    kind: str
    db_id: str
    created_at: float
    status: str = RUNNING
    #: Fraction done, 0..1.
    progress: float = 0.0
    finished_at: float | None = None
    result: Any = None
    error: fpe.FaceprintError | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _future: Future[None] | None = field(default=None, repr=False)

    def report(self, fraction: float) -> None:
        """The work's progress callback: records the fraction, stops the work if the job was deleted."""
        if self._cancel.is_set():
            raise _Cancelled()
        self.progress = max(self.progress, min(1.0, float(fraction)))


class JobRegistry:
    """Every app's jobs, run on ``threads`` worker threads. Thread-safe."""

    def __init__(self, max_running: int, keep_s: float, threads: int = 1) -> None:
        self.max_running = max_running
        self.keep_s = keep_s
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="faceprint-job")

    def _expire(self, now: float) -> None:
        """Drops finished jobs past keep_s and, per app, all but the MAX_KEPT most recent finished ones."""
        finished: dict[str, list[Job]] = {}
        for job in list(self._jobs.values()):
            if job.finished_at is None:
                continue
            if now - job.finished_at > self.keep_s:
                del self._jobs[job.job_id]
            else:
                finished.setdefault(job.app_id, []).append(job)
        for jobs in finished.values():
            jobs.sort(key=lambda j: j.finished_at or 0.0)
            for job in jobs[: max(0, len(jobs) - MAX_KEPT)]:
                del self._jobs[job.job_id]

    def start(self, app_id: str, kind: str, db_id: str, work: Callable[[Callable[[float], None]], Any]) -> Job:
        """Runs ``work(progress)`` as a new job of ``app_id``; TooManyJobs when the app runs its limit."""
        now = time.time()
        with self._lock:
            self._expire(now)
            running = sum(1 for j in self._jobs.values() if j.app_id == app_id and j.status == RUNNING)
            if running >= self.max_running:
                raise fpe.TooManyJobs(
                    f"The app already runs {running} background jobs (at most {self.max_running}); "
                    "wait for one to finish or delete one."
                )
            job = Job(uuid.uuid4().hex, app_id, kind, db_id, now)
            self._jobs[job.job_id] = job
        job._future = self._pool.submit(self._run, job, work)
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Callable[[float], None]], Any]) -> None:
        try:
            result = work(job.report)
        except _Cancelled:
            job.status = CANCELLED
        except fpe.FaceprintError as e:
            job.error, job.status = e, FAILED
        except Exception as e:  # a job's unexpected failure is its answer, not a crash
            log.exception("job %s (%s) failed", job.job_id, job.kind)
            job.error, job.status = fpe.InternalError(f"The job failed: {type(e).__name__}"), FAILED
        else:
            job.result, job.progress, job.status = result, 1.0, DONE
        job.finished_at = time.time()

    def get(self, app_id: str, job_id: str) -> Job:
        """The app's job; JobNotFound for an unknown, expired or another app's id."""
        with self._lock:
            self._expire(time.time())
            job = self._jobs.get(job_id)
        if job is None or job.app_id != app_id:
            raise fpe.JobNotFound()
        return job

    def delete(self, app_id: str, job_id: str) -> None:
        """Forgets the job; a running one is cancelled (its work stops at its next progress report)."""
        job = self.get(app_id, job_id)
        job._cancel.set()
        with self._lock:
            self._jobs.pop(job_id, None)

    @staticmethod
    async def wait(job: Job, timeout_s: float) -> bool:
        """Waits up to ``timeout_s`` for the job to end; whether it has."""
        if job._future is not None and job.finished_at is None and timeout_s > 0:
            done, _ = await asyncio.wait([asyncio.wrap_future(job._future)], timeout=timeout_s)
            del done
        return job.finished_at is not None

    def close(self) -> None:
        """Cancels every job and waits for the running ones to stop."""
        with self._lock:
            for job in self._jobs.values():
                job._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
