"""Request bodies of the Mercury Cloud face OpenAPI v1.5.0, as pydantic models.

Validators raise :func:`~faceprint.api.errors.domain_error` so that a bad field answers its own
``internal_code`` (BadKey, ExtraInfoTooLong, ...), not a generic 422. Unknown fields are ignored (an old
client's ``auto_rotate`` does no harm). Limits that depend on settings (images per request) are checked by
the service, before any image is decoded.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from faceprint import errors as fpe
from faceprint.api.errors import domain_error
from faceprint.engine.types import Box, ImageInput
from faceprint.service import MAX_PAIRS
from faceprint.storage.base import MAX_TOP_K

__all__ = [
    "EXTRA_INFO_MAX",
    "KEY_RE",
    "MAX_DB_IDS",
    "MAX_LIST_LIMIT",
    "NAME_MAX",
    "BatchAddItem",
    "BatchAddRequest",
    "ClusterRequest",
    "CompareRequest",
    "CreateDatabaseRequest",
    "DetectRequest",
    "DuplicatesRequest",
    "ImageIn",
    "ListFeaturesQuery",
    "QualityRequest",
    "RectangleIn",
    "SearchRequest",
    "UpdateExtraInfoRequest",
    "VerifyRequest",
]

KEY_RE = re.compile(r"[A-Za-z0-9-]{1,48}")
EXTRA_INFO_MAX = 1024
NAME_MAX = 64
DESCRIPTION_MAX = 1024
#: Databases one search may name.
MAX_DB_IDS = 16

_B64 = "/9j/4AAQSkZJRgABAQAAAQABAAD...(base64 of the JPEG/PNG/BMP/TIFF/GIF/WebP file)"
_RECT: dict[str, int | float | str | None] = {"top": 50, "left": 100, "width": 500, "height": 800}


def _strict_int(v: Any, internal_code: int, what: str) -> int:
    """JSON integers only (an integral float such as ``10.0`` too): never a boolean nor a numeric string, so
    every integer field of the API is equally strict."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise domain_error(internal_code, f"{what} must be an integer")
    return v


def _strict_number(v: Any, internal_code: int, what: str) -> float:
    """JSON numbers only: never a boolean nor a numeric string."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise domain_error(internal_code, f"{what} must be a number")
    return float(v)


#: Characters no database name may hold: C0 and C1 controls, DEL, line and paragraph separators and the
#: bidirectional overrides and isolates (which reorder what a terminal or a page shows). The same class is
#: the ``pattern`` the OpenAPI document states.
NAME_FORBIDDEN = r"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069"
NAME_PATTERN = f"^[^{NAME_FORBIDDEN}]*$"
#: Descriptions are free text over several lines: tab, line feed and carriage return are allowed.
DESCRIPTION_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
_NAME_RE = re.compile(NAME_PATTERN)
_DESCRIPTION_RE = re.compile(DESCRIPTION_PATTERN)
KEY_PATTERN = "^[A-Za-z0-9-]{1,48}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RectangleIn(_In):
    """A region of the image, in pixels of the image as displayed (after EXIF orientation). Only faces
    overlapping it are considered."""

    top: int = Field(description="Pixels from the top edge, >= 0.", json_schema_extra={"minimum": 0})
    left: int = Field(description="Pixels from the left edge, >= 0.", json_schema_extra={"minimum": 0})
    width: int = Field(description="Width in pixels, > 0.", json_schema_extra={"minimum": 1})
    height: int = Field(description="Height in pixels, > 0.", json_schema_extra={"minimum": 1})

    @field_validator("top", "left", "width", "height", mode="before")
    @classmethod
    def _integer(cls, v: Any) -> Any:
        return _strict_int(v, fpe.BadRectangle.internal_code, "rectangle top, left, width and height")

    @field_validator("top", "left")
    @classmethod
    def _origin(cls, v: int) -> int:
        if v < 0:
            raise domain_error(fpe.BadRectangle.internal_code, "rectangle top and left must be >= 0")
        return v

    @field_validator("width", "height")
    @classmethod
    def _size(cls, v: int) -> int:
        if v <= 0:
            raise domain_error(fpe.BadRectangle.internal_code, "rectangle width and height must be > 0")
        return v


class ImageIn(_In):
    """An image: the base64 of the file (a ``data:image/...;base64,`` prefix is tolerated), at most 8 MB,
    JPG/PNG/BMP/TIFF/GIF (first frame)/WebP, and an optional rectangle."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"data": _B64, "rectangle": dict(_RECT)}]}
    )

    data: str = Field(description="Base64 of the image file bytes (empty: BadBase64, 1101).",
                      json_schema_extra={"minLength": 1})
    rectangle: RectangleIn | None = Field(None, description="Optional region to scan.")

    def to_input(self) -> ImageInput:
        """The image as the service takes it: the base64 text and an engine Box (or None)."""
        r = self.rectangle
        box = None if r is None else Box(float(r.left), float(r.top), float(r.width), float(r.height))
        return ImageInput(self.data, box)


class DetectRequest(_In):
    """Face detection: every face of each image (1 to 16 images)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"images": [{"data": _B64}]}]})

    images: list[ImageIn] = Field(description="1 to 16 images.", json_schema_extra={"minItems": 1, "maxItems": 16})


class CompareRequest(_In):
    """1:1 verification of the largest face of each image."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"one": {"data": _B64}, "another": {"data": _B64}}]}
    )

    one: ImageIn
    another: ImageIn


class QualityRequest(_In):
    """Quality check of the largest face."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"image": {"data": _B64}}]})

    image: ImageIn


def _check_name(v: str, limit: int, what: str, allowed: re.Pattern[str]) -> str:
    if len(v) > limit:
        raise domain_error(fpe.BadName.internal_code, f"{what} is longer than {limit} characters")
    if not allowed.fullmatch(v):
        raise domain_error(fpe.BadName.internal_code, f"{what} holds a control character")
    return v


def _create_db_schema(schema: dict[str, Any]) -> None:
    """``max_size`` is required (the server refuses a database without it, BadMaxSize 1303); it is optional
    in the model only so that its absence answers that code, not the generic 1000."""
    schema["examples"] = [{"name": "Sample-db", "description": "Sample feature database.", "max_size": 1000}]
    required = schema.setdefault("required", [])
    if "max_size" not in required:
        required.append("max_size")


def _not_null(extra: dict[str, Any]) -> Any:
    """A field optional in the model (None: absent) stated in the schema as its one JSON type, never null."""

    def fix(schema: dict[str, Any]) -> None:
        schema.pop("anyOf", None)
        schema.pop("default", None)
        schema.update(extra)

    return fix


class CreateDatabaseRequest(_In):
    """Create a feature database holding at most ``max_size`` features (counted against the app's quota)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra=_create_db_schema,
    )

    name: str = Field("", description=f"Free text, at most {NAME_MAX} characters, no control characters; "
                      "need not be unique.", json_schema_extra={"maxLength": NAME_MAX, "pattern": NAME_PATTERN})
    description: str = Field(
        "", description=f"Free text, at most {DESCRIPTION_MAX} characters (tab and line breaks allowed, no other "
        "control character).", json_schema_extra={"maxLength": DESCRIPTION_MAX, "pattern": DESCRIPTION_PATTERN},
    )
    max_size: int | None = Field(
        None, description="Required. Features the database may hold, >= 1; cannot be changed later; counted "
        "against the app's quota.", json_schema_extra=_not_null({"type": "integer", "minimum": 1}),
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _check_name(v, NAME_MAX, "name", _NAME_RE)

    @field_validator("description")
    @classmethod
    def _description(cls, v: str) -> str:
        return _check_name(v, DESCRIPTION_MAX, "description", _DESCRIPTION_RE)

    @field_validator("max_size", mode="before")
    @classmethod
    def _max_size(cls, v: Any) -> Any:
        if v is None:
            raise domain_error(fpe.BadMaxSize.internal_code, "max_size must be a positive integer")
        n = _strict_int(v, fpe.BadMaxSize.internal_code, "max_size")
        if n < 1:
            raise domain_error(fpe.BadMaxSize.internal_code, "max_size must be a positive integer")
        return n

    feature_version: int | None = Field(
        None, description="Faceprint extension: the recogniser pack of the database's features, by its "
        "feature_version (GET info lists them); omitted: the server's default (SFace, 2). Fixed for the "
        "database's life.", ge=1, strict=True,
    )

    @field_validator("feature_version", mode="before")
    @classmethod
    def _feature_version(cls, v: Any) -> Any:
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise domain_error(fpe.BadFeatureVersion.internal_code, "feature_version must be a positive integer")
        return v


def _check_key(v: str) -> str:
    if not KEY_RE.fullmatch(v):
        raise domain_error(
            fpe.BadKey.internal_code, "key must be 1 to 48 characters of A-Z, a-z, 0-9 and '-'"
        )
    return v


def _check_extra(v: str) -> str:
    if len(v) > EXTRA_INFO_MAX:
        raise domain_error(fpe.ExtraInfoTooLong.internal_code, "extra_info is longer than 1024 characters")
    return v


#: The most features one ``GET databases/{db_id}/features`` answers.
MAX_LIST_LIMIT = 1000


class ListFeaturesQuery(_In):
    """The query of ``GET databases/{db_id}/features`` (a Faceprint extension): one page of the database's
    features in the order they were added, optionally only those with one key."""

    offset: int = Field(0, description="Features to skip (0 or more).")
    limit: int = Field(100, description=f"Features to answer at most (1..{MAX_LIST_LIMIT}).")
    key: str | None = Field(None, description="Only the features with this key ([A-Za-z0-9-]{1,48}).")

    @field_validator("offset")
    @classmethod
    def _offset(cls, v: int) -> int:
        if v < 0:
            raise domain_error(fpe.BadPage.internal_code, "offset must be 0 or more")
        return v

    @field_validator("limit")
    @classmethod
    def _limit(cls, v: int) -> int:
        if not 1 <= v <= MAX_LIST_LIMIT:
            raise domain_error(fpe.BadPage.internal_code, f"limit must be 1 to {MAX_LIST_LIMIT}")
        return v

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return v if v is None else _check_key(v)


class BatchAddItem(_In):
    """One image to add, with the user's key and extra_info."""

    image: ImageIn
    key: str | None = Field(
        None, description="Optional: 1 to 48 characters of [A-Za-z0-9-] (an empty key is refused: omit it); need "
        "not be unique.", json_schema_extra=_not_null({"type": "string", "pattern": KEY_PATTERN}),
    )
    extra_info: str = Field("", description="Optional free string, at most 1024 characters.", max_length=1024)

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, v: Any) -> Any:
        return _check_key(v) if isinstance(v, str) else v

    @field_validator("extra_info", mode="before")
    @classmethod
    def _extra(cls, v: Any) -> Any:
        return _check_extra(v) if isinstance(v, str) else v


class BatchAddRequest(_In):
    """Batch add: the largest face of each image (1 to 16) becomes one feature."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"images": [{"image": {"data": _B64}, "key": "emp-000123",
                                      "extra_info": "{\"name\":\"Alice\"}"}]}]
        },
    )

    images: list[BatchAddItem] = Field(description="1 to 16 items.", json_schema_extra={"minItems": 1, "maxItems": 16})


class UpdateExtraInfoRequest(_In):
    """Replace a feature's extra_info (v1.5.0)."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"extra_info": "{\"vip\":true}"}]}
    )

    extra_info: str = Field(description="At most 1024 characters.", max_length=1024)

    @field_validator("extra_info", mode="before")
    @classmethod
    def _extra(cls, v: Any) -> Any:
        return _check_extra(v) if isinstance(v, str) else v


class SearchRequest(_In):
    """1:N search of the largest face in one or more databases."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"image": {"data": _B64}, "db_ids": ["91309912-cbcf-4985-be08-552363ed6000"],
                          "top_k": 2, "min_score": 0.8}]
        },
    )

    image: ImageIn
    db_ids: list[str] = Field(description=f"1 to {MAX_DB_IDS} database ids; one batch each, in order.",
                              json_schema_extra={"minItems": 1, "maxItems": MAX_DB_IDS})
    top_k: int = Field(1, description=f"Hits per database, 1..{MAX_TOP_K}.",
                       json_schema_extra={"minimum": 1, "maximum": MAX_TOP_K})
    min_score: float = Field(
        0.0, description="Only hits with score >= min_score (0..1); applied before top_k.",
        json_schema_extra={"minimum": 0, "maximum": 1},
    )
    group_by_key: bool = Field(
        False, description="Faceprint extension: one hit per key (person), with its best and mean score and how "
        "many of its features matched, in `batches[i].persons`; top_k then counts persons. The best 1000 "
        "features of each database are grouped; a feature without a key is a person of its own.",
    )

    @field_validator("db_ids")
    @classmethod
    def _db_ids(cls, v: list[str]) -> list[str]:
        if not 1 <= len(v) <= MAX_DB_IDS:
            raise domain_error(fpe.BadDbIds.internal_code, f"db_ids must list 1 to {MAX_DB_IDS} databases")
        return v

    @field_validator("top_k", mode="before")
    @classmethod
    def _top_k(cls, v: Any) -> int:
        n = _strict_int(v, fpe.BadTopK.internal_code, "top_k")
        if not 1 <= n <= MAX_TOP_K:
            raise domain_error(fpe.BadTopK.internal_code, f"top_k must be between 1 and {MAX_TOP_K}")
        return n

    @field_validator("min_score", mode="before")
    @classmethod
    def _min_score(cls, v: Any) -> float:
        x = _strict_number(v, fpe.BadMinScore.internal_code, "min_score")
        if not 0.0 <= x <= 1.0:
            raise domain_error(fpe.BadMinScore.internal_code, "min_score must be between 0 and 1")
        return x


#: Longest a request waits for a job before answering 202 with the job to poll, seconds.
MAX_WAIT_S = 60.0
_THRESHOLD_DOC = ("Score (0..1) at which two faces count as one person; omitted: 0.955, the recogniser's "
                  "documented same-person threshold (false-accept rate 1e-3).")


def _check_threshold(v: Any) -> Any:
    if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0):
        raise domain_error(fpe.BadThreshold.internal_code, "threshold must be a score between 0 and 1")
    return v


class _JobRequest(_In):
    threshold: float | None = Field(None, description=_THRESHOLD_DOC)
    wait_s: float = Field(
        10.0, description=f"Seconds (0..{MAX_WAIT_S:g}) to wait for the answer; a job still running then is "
        "answered 202 with its job_id, to poll with GET jobs/{job_id}.",
    )

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, v: Any) -> Any:
        return _check_threshold(v)

    @field_validator("wait_s", mode="before")
    @classmethod
    def _wait(cls, v: Any) -> float:
        x = _strict_number(v, fpe.InvalidRequest.internal_code, "wait_s")
        if not 0.0 <= x <= MAX_WAIT_S:
            raise domain_error(fpe.InvalidRequest.internal_code, f"wait_s must be between 0 and {MAX_WAIT_S:g}")
        return x


class ClusterRequest(_JobRequest):
    """Faceprint extension: group a database's features into people."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"threshold": 0.955, "wait_s": 10}]})


class DuplicatesRequest(_JobRequest):
    """Faceprint extension: pairs of one photo enrolled twice, and of one person under two keys."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"threshold": 0.97, "same_photo_score": 0.995, "limit": 100}]}
    )

    same_photo_score: float | None = Field(
        None, description="Score from which two features are the same photo enrolled twice; omitted: 0.995."
    )
    limit: int = Field(1000, description=f"Most pairs answered (1..{MAX_PAIRS}), best first.")

    @field_validator("same_photo_score", mode="before")
    @classmethod
    def _photo(cls, v: Any) -> Any:
        return _check_threshold(v)

    @field_validator("limit", mode="before")
    @classmethod
    def _limit(cls, v: Any) -> int:
        n = _strict_int(v, fpe.InvalidRequest.internal_code, "limit")
        if not 1 <= n <= MAX_PAIRS:
            raise domain_error(fpe.InvalidRequest.internal_code, f"limit must be between 1 and {MAX_PAIRS}")
        return n


class VerifyRequest(_In):
    """Faceprint extension: the largest face of ``image`` against every feature of ``key``."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"image": {"data": _B64}, "key": "emp-000123"}]}
    )

    image: ImageIn
    key: str = Field(description="The person's key: [A-Za-z0-9-]{1,48}.")
    threshold: float | None = Field(None, description=_THRESHOLD_DOC)

    @field_validator("key", mode="before")
    @classmethod
    def _key(cls, v: Any) -> Any:
        if isinstance(v, str) and not v:
            raise domain_error(fpe.BadKey.internal_code, "key is required")
        return _check_key(v) if isinstance(v, str) else v

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, v: Any) -> Any:
        return _check_threshold(v)
