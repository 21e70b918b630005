"""Faceprint's person-level extensions: cluster a database into people, find its duplicates (both as jobs),
poll and delete jobs, verify a face against every feature of a key. Signed like every Mercury path."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from faceprint.api.context import AppId, Ctx, TraceId
from faceprint.api.requests import MAX_WAIT_S, ClusterRequest, DuplicatesRequest, VerifyRequest
from faceprint.api.responses_people import JobResponse, VerifyResponse
from faceprint.api.routes_images import ERRORS
from faceprint.service import Job

__all__ = ["router"]

_TAG = "people (Faceprint extension)"
_ERR = ERRORS[400]["model"]
_JOB_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"model": JobResponse, "description": "Still running after wait_s: poll GET jobs/{job_id}."},
    404: {"model": _ERR, "description": "Unknown database (code 5, 2002)."},
    429: {"model": _ERR, "description": "The app runs its limit of jobs (code 8, 3005)."},
}

router = APIRouter(prefix="/openapi/face/v1/{app_id}", responses=ERRORS)
DbId = PathParam(description="A database id of this app.")
JobId = PathParam(description="A job id this app started.")


def _answer(job: Job, response: Response, trace_id: str) -> JobResponse:
    """200 with the result when the job has ended (a failed one answers its error), else 202."""
    if job.error is not None and job.finished_at is not None:
        raise job.error
    if job.finished_at is None:
        response.status_code = 202
    return JobResponse.of(job, trace_id)


@router.post("/databases/{db_id}/cluster", response_model=JobResponse, tags=[_TAG], responses=_JOB_ANSWERS,
             summary="Cluster a database's features into people (Faceprint extension)")
async def cluster(
    body: ClusterRequest, response: Response, ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId,
) -> JobResponse:
    """Groups the database's features by descriptor similarity (average linkage over exact nearest
    neighbours, at ``threshold``): ``cluster.clusters`` holds the groups of two or more features, largest
    first, each with its keys and cohesion; ``cluster.alone`` the features matching nobody. Deterministic for
    the same features. Answers when done within ``wait_s``; else 202 with the job to poll."""
    job = await ctx.service.start_cluster(app_id, db_id, body.threshold, body.wait_s)
    return _answer(job, response, trace_id)


@router.post("/databases/{db_id}/duplicates", response_model=JobResponse, tags=[_TAG], responses=_JOB_ANSWERS,
             summary="Find duplicate features (Faceprint extension)")
async def duplicates(
    body: DuplicatesRequest, response: Response, ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId,
) -> JobResponse:
    """Pairs of features that are one photo enrolled twice (``same_photo``: score >= same_photo_score, any
    keys) or one person under two different keys (``same_person``: score >= threshold), best first, at most
    ``limit``. Answers when done within ``wait_s``; else 202 with the job to poll."""
    job = await ctx.service.start_duplicates(
        app_id, db_id, body.threshold, body.same_photo_score, body.limit, body.wait_s
    )
    return _answer(job, response, trace_id)


@router.get("/jobs/{job_id}", response_model=JobResponse, tags=[_TAG],
            responses={404: {"model": _ERR, "description": "Unknown or expired job (code 5, 2008)."}},
            summary="A job's state and, once done, its answer (Faceprint extension)")
async def get_job(
    ctx: Ctx, app_id: AppId, trace_id: TraceId, job_id: str = JobId,
    wait_s: float = Query(0.0, ge=0.0, le=MAX_WAIT_S, description="Seconds to wait for the job to end."),
) -> JobResponse:
    """A finished job's answer stays an hour (FACEPRINT_JOB_KEEP_SECONDS); a failed job shows its ``error``."""
    return JobResponse.of(await ctx.service.get_job(app_id, job_id, wait_s), trace_id)


@router.delete("/jobs/{job_id}", response_model=JobResponse, tags=[_TAG],
               responses={404: {"model": _ERR, "description": "Unknown or expired job (code 5, 2008)."}},
               summary="Cancel and forget a job (Faceprint extension)")
async def delete_job(ctx: Ctx, app_id: AppId, trace_id: TraceId, job_id: str = JobId) -> JobResponse:
    job = await ctx.service.get_job(app_id, job_id)
    await ctx.service.delete_job(app_id, job_id)
    return JobResponse.of(job, trace_id)


@router.post("/databases/{db_id}/verify", response_model=VerifyResponse, tags=[_TAG],
             responses={404: {"model": _ERR, "description": "Unknown database (2002) or key (2007)."}},
             summary="Verify a face against every feature of a key (Faceprint extension)")
async def verify(
    body: VerifyRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId,
) -> VerifyResponse:
    """The largest face of ``image`` against each feature with ``key``: ``score`` is the score of its mean
    similarity to them (what ``same_person`` decides on, at ``threshold``), ``best_score`` the best single one.
    No face: 400, 1201."""
    v = await ctx.service.verify(app_id, db_id, body.key, body.image.to_input(), body.threshold)
    ctx.metrics.add_faces("verify", 1)
    return VerifyResponse.of(v, trace_id)
