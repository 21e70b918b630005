"""Feature databases, features, 1:N search and system info."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from faceprint import __version__ as server_version
from faceprint import errors as fpe
from faceprint.api.context import AppId, Ctx, TraceId
from faceprint.api.requests import (
    BatchAddRequest,
    CreateDatabaseRequest,
    ListFeaturesQuery,
    SearchRequest,
    UpdateExtraInfoRequest,
)
from faceprint.api.responses import (
    AddedFeature,
    BatchAddResponse,
    DatabaseResponse,
    FaceOut,
    FeatureOut,
    FeatureResponse,
    InfoResponse,
    ListDatabasesResponse,
    ListedFeature,
    ListFeaturesResponse,
    PersonOut,
    RecognizerInfo,
    SearchBatch,
    SearchHit,
    SearchResponse,
    Status,
    TraceOnly,
    UpdateExtraInfoResponse,
)
from faceprint.api.routes_images import ERRORS
from faceprint.service import NewItem

__all__ = ["MERCURY_API_VERSION", "router"]

MERCURY_API_VERSION = "1.5.0"

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ERRORS[400]["model"], "description": "Unknown database or feature (code 5)."},
}
_FULL: dict[int | str, dict[str, Any]] = {
    429: {"model": ERRORS[400]["model"], "description": "Quota exceeded (code 8)."},
}

router = APIRouter(prefix="/openapi/face/v1/{app_id}", responses=ERRORS)
DbId = PathParam(description="A database id of this app.")
FeatureId = PathParam(description="A feature id of the database.")


@router.post("/databases", response_model=DatabaseResponse, tags=["databases"], responses=_FULL,
             summary="Create a feature database")
async def create_database(
    body: CreateDatabaseRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId
) -> DatabaseResponse:
    """``max_size`` is reserved from the app's feature-id quota (429, internal_code 3002, when the quota has
    less left) and cannot be changed later."""
    db = await ctx.service.create_database(app_id, body.name, body.description, body.max_size, body.feature_version)
    return DatabaseResponse.of(db, ctx.service.feature_version(db.model_version), trace_id)


@router.get("/databases", response_model=ListDatabasesResponse, tags=["databases"],
            summary="List feature databases")
async def list_databases(ctx: Ctx, app_id: AppId, trace_id: TraceId) -> ListDatabasesResponse:
    """The db_id of each database of the app, oldest first."""
    dbs = await ctx.service.list_databases(app_id)
    return ListDatabasesResponse(trace_id=trace_id, databases=[d.db_id for d in dbs])


@router.post("/databases/search", response_model=SearchResponse, tags=["search"], responses=_NOT_FOUND,
             summary="Face search (1:N) in one or more databases", response_model_exclude_none=True)
async def search(body: SearchRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId) -> SearchResponse:
    """The largest face of ``image`` against each of ``db_ids``: ``batches[i]`` holds the hits of
    ``db_ids[i]`` with ``score >= min_score`` (applied first), best first, at most ``top_k``;
    ``results[i]`` its status (an unknown db_id fails only its own batch, code 5). No face: 400, 1201.
    ``group_by_key`` (Faceprint extension): one hit per key, the persons in ``batches[i].persons``."""
    found = await ctx.service.search(
        app_id, body.db_ids, body.image.to_input(), body.top_k, body.min_score, body.group_by_key
    )
    ctx.metrics.add_faces("search", 1)
    results: list[Status] = []
    batches: list[SearchBatch] = []
    for i, b in enumerate(found.batches):
        persons = None if found.persons is None else [PersonOut.of(p) for p in found.persons[i]]
        if isinstance(b, fpe.FaceprintError):
            results.append(Status.of(b))
            batches.append(SearchBatch(features=[], persons=persons))
        else:
            results.append(Status.of(None))
            batches.append(SearchBatch(features=[
                SearchHit(feature=FeatureOut.of(h.feature), score=round(h.score, 7)) for h in b
            ], persons=persons))
    return SearchResponse(trace_id=trace_id, results=results, batches=batches, face=FaceOut.of(found.face))


@router.get("/databases/{db_id}", response_model=DatabaseResponse, tags=["databases"], responses=_NOT_FOUND,
            summary="Get a feature database")
async def get_database(ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId) -> DatabaseResponse:
    db = await ctx.service.get_database(app_id, db_id)
    return DatabaseResponse.of(db, ctx.service.feature_version(db.model_version), trace_id)


@router.delete("/databases/{db_id}", response_model=TraceOnly, tags=["databases"], responses=_NOT_FOUND,
               summary="Delete a feature database and all its features")
async def delete_database(ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId) -> TraceOnly:
    await ctx.service.delete_database(app_id, db_id)
    return TraceOnly(trace_id=trace_id)


@router.post("/databases/{db_id}/features", response_model=BatchAddResponse, tags=["features"],
             responses=_NOT_FOUND, summary="Batch add features (1-16 images)")
async def add_features(
    body: BatchAddRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId
) -> BatchAddResponse:
    """The largest face of each image becomes one feature with the item's key and extra_info.
    ``results[i]`` and ``features[i]`` line up with ``images[i]``; a failed item (bad image, no face,
    database full) has an empty feature_id. Unknown db_id: 404 for the whole request, nothing added."""
    items = [NewItem(it.image.to_input(), it.key or "", it.extra_info) for it in body.images]
    added = await ctx.service.add_features(app_id, db_id, items)
    ctx.metrics.add_faces("add_features", sum(a.feature is not None for a in added))
    return BatchAddResponse(
        trace_id=trace_id, results=[Status.of(a.error) for a in added],
        features=[AddedFeature.of(a.key, a.extra_info, a.feature, a.face) for a in added],
    )


@router.get("/databases/{db_id}/features", response_model=ListFeaturesResponse, tags=["features"],
            responses=_NOT_FOUND, summary="List a database's features (Faceprint extension)")
async def list_features(
    query: Annotated[ListFeaturesQuery, Query()], ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId
) -> ListFeaturesResponse:
    """Faceprint extension (Mercury has no such call): the features of the database in the order they were
    added, ``limit`` (1..1000, default 100) from ``offset`` (default 0), only those with ``key`` when given;
    ``next_offset`` is null on the last page. Bad offset or limit: 400, internal_code 1310."""
    found, more = await ctx.service.list_features(app_id, db_id, query.offset, query.limit, query.key)
    return ListFeaturesResponse(
        trace_id=trace_id, features=[ListedFeature.of(f) for f in found], offset=query.offset,
        next_offset=query.offset + len(found) if more else None,
    )


@router.get("/databases/{db_id}/features/{feature_id}", response_model=FeatureResponse, tags=["features"],
            responses=_NOT_FOUND, summary="Get a feature's key and extra_info")
async def get_feature(
    ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId, feature_id: str = FeatureId
) -> FeatureResponse:
    f = await ctx.service.get_feature(app_id, db_id, feature_id)
    return FeatureResponse(trace_id=trace_id, feature=FeatureOut.of(f))


@router.delete("/databases/{db_id}/features/{feature_id}", response_model=TraceOnly, tags=["features"],
               responses=_NOT_FOUND, summary="Delete a feature")
async def delete_feature(
    ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId, feature_id: str = FeatureId
) -> TraceOnly:
    await ctx.service.delete_feature(app_id, db_id, feature_id)
    return TraceOnly(trace_id=trace_id)


@router.post("/databases/{db_id}/features/{feature_id}/extra_info", response_model=UpdateExtraInfoResponse,
             tags=["features"], responses=_NOT_FOUND, summary="Update a feature's extra_info (v1.5.0)")
async def update_extra_info(
    body: UpdateExtraInfoRequest, ctx: Ctx, app_id: AppId, trace_id: TraceId, db_id: str = DbId,
    feature_id: str = FeatureId,
) -> UpdateExtraInfoResponse:
    """Replaces extra_info (at most 1024 characters); the key is immutable."""
    f = await ctx.service.update_extra_info(app_id, db_id, feature_id, body.extra_info)
    return UpdateExtraInfoResponse(trace_id=trace_id, feature_id=f.feature_id, extra_info=f.extra_info)


@router.get("/info", response_model=InfoResponse, tags=["system"], summary="Get system info")
async def info(ctx: Ctx, app_id: AppId, trace_id: TraceId) -> InfoResponse:
    """The API version served, the default recogniser (of new databases and compare), every recogniser pack
    with its score thresholds per false-accept rate, and the app's quota."""
    i = await ctx.service.info(app_id)
    default = i.default_pack
    return InfoResponse(
        trace_id=trace_id, version=MERCURY_API_VERSION, server="faceprint", server_version=server_version,
        model_version=default.model_version, feature_version=default.feature_version,
        recognizers=[RecognizerInfo.of(spec, spec.name == default.name) for spec in i.packs],
        app_id=app_id, quota=i.app.quota, quota_used=i.quota_used, databases=i.databases,
    )
