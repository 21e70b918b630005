"""One description per endpoint: method, path under ``/{app_id}/``, JSON body, whether a retry is safe,
and how to parse the answer. The sync and async clients both run these, so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar, cast
from urllib.parse import quote

from faceprint.client._images import ImageInput, RectangleInput, image_object
from faceprint.client._models import (
    Ack,
    AddFeaturesResponse,
    Comparison,
    Database,
    DatabaseList,
    DetectResponse,
    FeatureInfo,
    FeaturePage,
    QualityResult,
    SearchResponse,
    SystemInfo,
)
from faceprint.client._people_models import Job, Verification

__all__ = ["Call", "FeatureInput", "NewFeature"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request: ``idempotent`` calls (reads, deletes, and the POSTs that write nothing) may be retried."""

    method: str
    path: str
    body: dict[str, Any] | None
    idempotent: bool
    parse: Callable[[dict[str, Any]], T]


@dataclass(frozen=True, slots=True)
class NewFeature:
    """One image to add to a feature database. ``key``: 0-48 of ``A-Z a-z 0-9 -`` (not unique);
    ``extra_info``: any text up to 1024 characters; ``rectangle``: where to look for the face."""

    image: ImageInput
    key: str = ""
    extra_info: str = ""
    rectangle: RectangleInput | None = None


#: What :meth:`Client.add_features` accepts per item: a :class:`NewFeature`, an image, or a tuple
#: ``(image,)``, ``(image, key)`` or ``(image, key, extra_info)``.
FeatureInput: TypeAlias = NewFeature | ImageInput | tuple[Any, ...]


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _feature_item(item: FeatureInput) -> dict[str, Any]:
    if not isinstance(item, NewFeature):
        if isinstance(item, tuple):
            if not 1 <= len(item) <= 3:
                raise ValueError("a feature tuple is (image[, key[, extra_info]])")
            item = NewFeature(*item)
        else:
            item = NewFeature(item)
    out: dict[str, Any] = {"image": image_object(item.image, item.rectangle)}
    if item.key:
        out["key"] = item.key
    if item.extra_info:
        out["extra_info"] = item.extra_info
    return out


def detect(images: Sequence[ImageInput] | ImageInput,
           rectangles: Sequence[RectangleInput | None] | None) -> Call[DetectResponse]:
    many: list[ImageInput]
    if isinstance(images, str | bytes | bytearray | memoryview) or not isinstance(images, Sequence):
        many = [images]
    else:
        many = list(cast("Sequence[ImageInput]", images))
    rects: Sequence[RectangleInput | None] = rectangles if rectangles is not None else [None] * len(many)
    if len(rects) != len(many):
        raise ValueError(f"{len(many)} images but {len(rects)} rectangles")
    body = {"images": [image_object(i, r) for i, r in zip(many, rects, strict=True)]}
    return Call("POST", "detect", body, True, DetectResponse.from_wire)


def compare(one: ImageInput, another: ImageInput, one_rectangle: RectangleInput | None,
            another_rectangle: RectangleInput | None) -> Call[Comparison]:
    body = {"one": image_object(one, one_rectangle), "another": image_object(another, another_rectangle)}
    return Call("POST", "compare", body, True, Comparison.from_wire)


def quality(image: ImageInput, rectangle: RectangleInput | None) -> Call[QualityResult]:
    return Call("POST", "quality", {"image": image_object(image, rectangle)}, True, QualityResult.from_wire)


def create_database(name: str, max_size: int, description: str, feature_version: int | None = None) -> Call[Database]:
    body: dict[str, Any] = {"name": name, "max_size": max_size, "description": description}
    if feature_version is not None:  # a Faceprint extension: sent only when asked for
        body["feature_version"] = feature_version
    return Call("POST", "databases", body, False, Database.from_wire)


def list_databases() -> Call[DatabaseList]:
    return Call("GET", "databases", None, True, DatabaseList.from_wire)


def get_database(db_id: str) -> Call[Database]:
    return Call("GET", f"databases/{_seg(db_id)}", None, True, Database.from_wire)


def delete_database(db_id: str) -> Call[Ack]:
    return Call("DELETE", f"databases/{_seg(db_id)}", None, True, Ack.from_wire)


def add_features(db_id: str, items: Sequence[FeatureInput]) -> Call[AddFeaturesResponse]:
    body = {"images": [_feature_item(i) for i in items]}
    return Call("POST", f"databases/{_seg(db_id)}/features", body, False, AddFeaturesResponse.from_wire)


def get_feature(db_id: str, feature_id: str) -> Call[FeatureInfo]:
    return Call("GET", f"databases/{_seg(db_id)}/features/{_seg(feature_id)}", None, True,
                FeatureInfo.from_wire)


def list_features(db_id: str, offset: int = 0, limit: int = 100, key: str | None = None) -> Call[FeaturePage]:
    """Faceprint extension: one page of the database's features, oldest first."""
    query = f"offset={offset}&limit={limit}" + (f"&key={quote(key, safe='')}" if key is not None else "")
    return Call("GET", f"databases/{_seg(db_id)}/features?{query}", None, True, FeaturePage.from_wire)


def delete_feature(db_id: str, feature_id: str) -> Call[Ack]:
    return Call("DELETE", f"databases/{_seg(db_id)}/features/{_seg(feature_id)}", None, True, Ack.from_wire)


def update_extra_info(db_id: str, feature_id: str, extra_info: str) -> Call[FeatureInfo]:
    path = f"databases/{_seg(db_id)}/features/{_seg(feature_id)}/extra_info"
    # Setting a value is idempotent, but a retried write is still a write: no retry, like other writes.
    return Call("POST", path, {"extra_info": extra_info}, False, FeatureInfo.from_wire)


def search(image: ImageInput, db_ids: str | Sequence[str], top_k: int, min_score: float,
           rectangle: RectangleInput | None, group_by_key: bool = False) -> Call[SearchResponse]:
    ids = [db_ids] if isinstance(db_ids, str) else list(db_ids)
    body = {"image": image_object(image, rectangle), "db_ids": ids, "top_k": top_k, "min_score": min_score}
    if group_by_key:  # a Faceprint extension: sent only when asked for
        body["group_by_key"] = True
    return Call("POST", "databases/search", body, True, SearchResponse.from_wire)


def _job_body(threshold: float | None, wait_s: float) -> dict[str, Any]:
    body: dict[str, Any] = {"wait_s": wait_s}
    if threshold is not None:
        body["threshold"] = threshold
    return body


def start_cluster(db_id: str, threshold: float | None, wait_s: float) -> Call[Job]:
    # Starting a job writes nothing, but a retried start would run the work twice: no retry.
    return Call("POST", f"databases/{_seg(db_id)}/cluster", _job_body(threshold, wait_s), False, Job.from_wire)


def start_duplicates(db_id: str, threshold: float | None, same_photo_score: float | None, limit: int,
                     wait_s: float) -> Call[Job]:
    body = {**_job_body(threshold, wait_s), "limit": limit}
    if same_photo_score is not None:
        body["same_photo_score"] = same_photo_score
    return Call("POST", f"databases/{_seg(db_id)}/duplicates", body, False, Job.from_wire)


def get_job(job_id: str, wait_s: float) -> Call[Job]:
    suffix = f"?wait_s={wait_s:g}" if wait_s else ""
    return Call("GET", f"jobs/{_seg(job_id)}{suffix}", None, True, Job.from_wire)


def delete_job(job_id: str) -> Call[Job]:
    return Call("DELETE", f"jobs/{_seg(job_id)}", None, True, Job.from_wire)


def verify(db_id: str, key: str, image: ImageInput, threshold: float | None,
           rectangle: RectangleInput | None) -> Call[Verification]:
    body: dict[str, Any] = {"image": image_object(image, rectangle), "key": key}
    if threshold is not None:
        body["threshold"] = threshold
    return Call("POST", f"databases/{_seg(db_id)}/verify", body, True, Verification.from_wire)


def info() -> Call[SystemInfo]:
    return Call("GET", "info", None, True, SystemInfo.from_wire)
