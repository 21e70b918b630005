"""Detect, compare and quality: the stateless image APIs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from faceprint import errors as fpe
from faceprint.api.context import AppId, Ctx, TraceId
from faceprint.api.requests import CompareRequest, DetectRequest, QualityRequest
from faceprint.api.responses import (
    CompareResponse,
    DetectBatch,
    DetectResponse,
    ErrorResponse,
    FaceOut,
    GatewayErrorResponse,
    QualityResponse,
    Status,
)

__all__ = ["ERRORS", "router"]

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid argument (code 3); see internal_code."},
    401: {"model": GatewayErrorResponse, "description": "Kong hmac-auth refusal."},
    403: {"model": ErrorResponse, "description": "The access key belongs to another app (code 7)."},
    404: {"model": ErrorResponse, "description": "Unknown database or feature, or no such route (code 5)."},
    405: {"model": ErrorResponse, "description": "Method not allowed on this path (code 12, internal_code 2006)."},
    413: {"model": ErrorResponse, "description": "Request body too large (internal_code 1109)."},
    429: {"model": ErrorResponse, "description": "The app is over its share of the engine (code 8, internal_code "
          "3004; see Retry-After), or a quota or database limit is reached.",
          "headers": {"Retry-After": {"description": "Seconds after which a retry is likely let in (AppBusy only).",
                                      "schema": {"type": "integer", "minimum": 1}}}},
    500: {"model": ErrorResponse, "description": "Internal error (code 13)."},
    503: {"model": ErrorResponse, "description": "The service is overloaded (code 14, internal_code 5101)."},
    504: {"model": ErrorResponse, "description": "The request passed its deadline (code 4, internal_code 5102)."},
}

router = APIRouter(prefix="/openapi/face/v1/{app_id}", tags=["face"], responses=ERRORS)


@router.post("/detect", response_model=DetectResponse, summary="Face detection (every face, 1-16 images)")
async def detect(body: DetectRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId) -> DetectResponse:
    """Detects every face (>= 32 px) of each image. ``results[i]`` and ``batches[i]`` line up with
    ``images[i]``. An image without a face answers code 0 and ``faces: []``; an image that cannot be read
    fails only its own ``results[i]``."""
    outs = await ctx.service.detect([img.to_input() for img in body.images], app_id)
    results: list[Status] = []
    batches: list[DetectBatch] = []
    for out in outs:
        if isinstance(out, fpe.FaceprintError):
            results.append(Status.of(out))
            batches.append(DetectBatch(faces=[]))
        else:
            results.append(Status.of(None))
            batches.append(DetectBatch(faces=[FaceOut.of(f) for f in out.faces]))
    ctx.metrics.add_faces("detect", sum(len(b.faces) for b in batches))
    return DetectResponse(trace_id=trace_id, results=results, batches=batches)


@router.post("/compare", response_model=CompareResponse, summary="Face verification (1:1)")
async def compare(body: CompareRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId) -> CompareResponse:
    """Compares the largest face of ``one`` with the largest face of ``another``. ``score`` 0..1, higher
    is more similar. No face in either image: 400, internal_code 1201."""
    c = await ctx.service.compare(body.one.to_input(), body.another.to_input(), app_id)
    ctx.metrics.add_faces("compare", 2)
    return CompareResponse(trace_id=trace_id, score=round(float(c.score), 7), one_face=FaceOut.of(c.one_face),
                           another_face=FaceOut.of(c.another_face))


@router.post("/quality", response_model=QualityResponse, summary="Quality check (largest face)")
async def quality(body: QualityRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId) -> QualityResponse:
    """Size, angle, brightness, sharpness, occlusion... of the largest face, on the guide's scales, and
    the clockwise rotation that makes the face upright. No face: 400, internal_code 1201."""
    q = await ctx.service.quality(body.image.to_input(), app_id)
    ctx.metrics.add_faces("quality", 1)
    return QualityResponse.of(q, trace_id)
