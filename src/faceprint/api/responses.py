"""Response bodies of the Mercury Cloud face OpenAPI v1.5.0 (what the served OpenAPI document shows), each
built from the domain's typed objects by its ``of`` class method: the one place the wire's shapes are written
(with :mod:`faceprint.api.responses_people`, the person-level extensions' shapes).

Every body carries ``trace_id`` (32 lowercase hex). Zero values are always emitted, as grpc-gateway does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from faceprint import vocabulary as v
from faceprint.engine.recognizers.packs import FAR_SCORES, PackSpec
from faceprint.engine.types import Angle, Box, Face
from faceprint.errors import FaceprintError
from faceprint.storage.base import Database, Feature

if TYPE_CHECKING:
    from faceprint.engine.engine import QualityReport
    from faceprint.service import PersonHit

__all__ = [
    "ATTRIBUTE_KEYS",
    "AddedFeature",
    "AngleOut",
    "Attributes",
    "BatchAddResponse",
    "CompareResponse",
    "DatabaseResponse",
    "DetectBatch",
    "DetectResponse",
    "ErrorResponse",
    "FaceOut",
    "FeatureOut",
    "FeatureResponse",
    "GatewayErrorResponse",
    "InfoResponse",
    "ListDatabasesResponse",
    "ListFeaturesResponse",
    "ListedFeature",
    "Occlusion",
    "PersonOut",
    "PointOut",
    "QualityFace",
    "QualityResponse",
    "QualityScores",
    "RectangleOut",
    "SearchBatch",
    "SearchHit",
    "SearchResponse",
    "Status",
    "TraceOnly",
    "UpdateExtraInfoResponse",
]

TRACE = "43bfb9d4c34be7ea91b42f42d522a6a3"
_RECT = {"top": 96, "left": 178, "width": 110, "height": 110}
_ATTRS = {
    "age_lower_limit": 25, "age_up_limit": 32, "st_age": "ST_ADULT", "gender_code": "FEMALE",
    "mustache_style": "MUSTACHE_STYLE_TYPE_NONE", "respirator_color": "COLOR_TYPE_NONE",
    "glass_style": "GLASSES_STYLE_TYPE_NONE", "cap_style": "HAT_STYLE_TYPE_NONE",
    "st_helmet_style": "ST_HELMET_STYLE_TYPE_NONE", "st_expression": "ST_HAPPY", "st_respirator": "",
}
FACE_EXAMPLE: dict[str, Any] = {
    "rectangle": _RECT, "quality": 0.9874657, "angle": {"yaw": -3.2, "pitch": 5.1, "roll": 1.4},
    "landmarks": [{"x": 205.1, "y": 141.0}, {"x": 222.3, "y": 140.2}, {"x": 262.0, "y": 139.5},
                  {"x": 245.8, "y": 140.1}, {"x": 233.4, "y": 171.9}],
    "attributes": _ATTRS,
}
_OK = {"code": 0, "message": "Success.", "internal_code": 0}
_FEATURE = {"feature_id": "8c5f7f2a-3a52-4f2e-9a55-4d1f7b0e2c11", "key": "emp-000123",
            "extra_info": "{\"name\":\"Alice\"}"}
#: The guide's attribute keys, in the guide's order.
ATTRIBUTE_KEYS = tuple(_ATTRS)


def _ex(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


def rfc3339(t: float) -> str:
    """Seconds since the epoch as RFC 3339 UTC to the second, e.g. ``2026-12-05T02:30:48Z``."""
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(x: float, nd: int = 4) -> float:
    x = float(x)
    return round(x, nd) if math.isfinite(x) else 0.0


class Status(BaseModel):
    """Per-item status: ``code`` 0 is success; else a gRPC canonical code and Faceprint's internal_code."""

    model_config = _ex(_OK)
    code: int = 0
    message: str = "Success."
    internal_code: int = 0

    @classmethod
    def of(cls, err: FaceprintError | None) -> Status:
        return cls() if err is None else cls(**err.to_status())


class RectangleOut(BaseModel):
    """A face box in pixels of the image as displayed (after EXIF orientation)."""

    top: int
    left: int
    width: int
    height: int

    @classmethod
    def of(cls, box: Box) -> RectangleOut:
        """Integer pixels: the box's top-left rounded, its size rounded."""
        return cls(top=round(box.top), left=round(box.left), width=round(box.width), height=round(box.height))


class AngleOut(BaseModel):
    """Head pose in degrees: yaw (left/right), pitch (up/down), roll (in-plane, clockwise > 0)."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0

    @classmethod
    def of(cls, a: Angle | None) -> AngleOut:
        return cls() if a is None else cls(yaw=_num(a.yaw, 2), pitch=_num(a.pitch, 2), roll=_num(a.roll, 2))


class PointOut(BaseModel):
    x: float
    y: float


class Attributes(BaseModel):
    """The guide's face attributes with its exact enum spellings. Predictions, not facts."""

    age_lower_limit: int = Field(0, description="Estimated lower bound of the age, years.")
    age_up_limit: int = Field(0, description="Estimated upper bound of the age, years.")
    st_age: str = Field("", description=v.choices(v.AgeClass))
    gender_code: str = Field("", description=v.choices(v.Gender))
    mustache_style: str = Field("", description=v.choices(v.MustacheStyle))
    respirator_color: str = Field(
        "", description=f"{v.RespiratorColor.NONE} (no mask) | {v.RespiratorColor.OTHER} (mask)"
    )
    glass_style: str = Field("", description=v.choices(v.GlassStyle))
    cap_style: str = Field("", description=v.choices(v.CapStyle))
    st_helmet_style: str = Field("", description=v.choices(v.HelmetStyle))
    st_expression: str = Field("", description=v.choices(v.Expression))
    st_respirator: str = Field("", description="Reserved, not used (empty).")

    @classmethod
    def of(cls, a: v.Attributes | None) -> Attributes:
        """Every key; ``""`` where the attribute models did not run (proto3's zero value)."""
        return cls(**(a or v.Attributes()).to_wire())


class FaceOut(BaseModel):
    """One detected face."""

    model_config = _ex(FACE_EXAMPLE)
    rectangle: RectangleOut
    quality: float = Field(description="Detection confidence, 0..1.")
    angle: AngleOut
    landmarks: list[PointOut] = Field(
        description="5 points in image pixels (dlib's 5-point order): 0, 1 the outer and inner corners of "
        "the eye on the image's right (the person's left eye); 2, 3 the outer and inner corners of the eye on "
        "the image's left (the person's right eye); 4 the base of the nose."
    )
    attributes: Attributes

    @classmethod
    def of(cls, face: Face) -> FaceOut:
        """The API's Face object (decision 11)."""
        pts = face.points5 if face.points5 is not None else face.keypoints
        return cls(
            rectangle=RectangleOut.of(face.box), quality=_num(face.score, 7), angle=AngleOut.of(face.angle),
            landmarks=[] if pts is None else [PointOut(x=_num(p[0], 2), y=_num(p[1], 2)) for p in pts],
            attributes=Attributes.of(face.attributes),
        )


class DetectBatch(BaseModel):
    faces: list[FaceOut] = Field(description="Every face of the image (empty when none, or on error).")


class DetectResponse(BaseModel):
    """``results[i]`` and ``batches[i]`` line up with ``images[i]``."""

    model_config = _ex({"trace_id": TRACE, "results": [_OK], "batches": [{"faces": [FACE_EXAMPLE]}]})
    trace_id: str
    results: list[Status]
    batches: list[DetectBatch]


class CompareResponse(BaseModel):
    """``score`` 0..1, higher is more similar (see docs/api.md for thresholds)."""

    model_config = _ex({"trace_id": TRACE, "score": 0.9815845, "one_face": FACE_EXAMPLE,
                        "another_face": FACE_EXAMPLE})
    trace_id: str
    score: float
    one_face: FaceOut
    another_face: FaceOut


# Field for field faceprint.vocabulary.QualityScores and Occlusion (tests/api/test_vocabulary.py holds them equal).
class QualityScores(BaseModel):
    distance2center: float = Field(description="Face centre to image centre, 0 far .. 1 centred (ref 0.2..1).")
    align_score: float = Field(description="Landmark fit, low..high (ref >= 1.0; not bounded to 1).")
    brightness: float = Field(description="-1 dark .. 1 bright (ref -0.5..0.5).")
    sharpness: float = Field(description="0 blurred .. 1 sharp (ref 0.8..1).")
    mouth_open: float = Field(description="0 closed .. 1 open (ref 0..0.4).")
    missing: float = Field(description="Share of the face inside the image, 1 whole (ref 0.9..1).")
    size: float = Field(description="Face area / image area, 0..1 (ref 0..0.85).")


class Occlusion(BaseModel):
    occlusion_total: float = Field(description="0 none .. 1 fully occluded (ref 0..0.02).")
    eye: float = Field(description="0..1 (ref 0).")
    nose: float = Field(description="0..1 (ref 0).")
    mouth: float = Field(description="0..1 (ref 0..0.4).")
    eyebrow: float = Field(description="0..1 (ref 0).")
    face_line: float = Field(description="Face contour, 0..1 (ref 0..0.1).")


class QualityFace(BaseModel):
    rectangle: RectangleOut
    angle: AngleOut
    quality: QualityScores
    occlusion: Occlusion


class QualityResponse(BaseModel):
    model_config = _ex({
        "trace_id": TRACE,
        "face": {"rectangle": _RECT, "angle": {"yaw": -3.2, "pitch": 5.1, "roll": 1.4},
                 "quality": {"distance2center": 0.93, "align_score": 1.6, "brightness": 0.1, "sharpness": 0.92,
                             "mouth_open": 0.05, "missing": 1.0, "size": 0.11},
                 "occlusion": {"occlusion_total": 0.0, "eye": 0.0, "nose": 0.0, "mouth": 0.0, "eyebrow": 0.0,
                               "face_line": 0.0}},
        "optimal_rotation_angle": 0,
    })
    trace_id: str
    face: QualityFace
    optimal_rotation_angle: int = Field(description="0, 90, 180 or 270: clockwise rotation that makes the "
                                        "face upright.")

    @classmethod
    def of(cls, q: QualityReport, trace_id: str) -> QualityResponse:
        """Decision 10: ``face`` {rectangle, angle, quality, occlusion} plus ``optimal_rotation_angle``."""
        face = QualityFace(rectangle=RectangleOut.of(q.face.box), angle=AngleOut.of(q.angle),
                           quality=QualityScores(**q.quality.to_wire()), occlusion=Occlusion(**q.occlusion.to_wire()))
        return cls(trace_id=trace_id, face=face, optimal_rotation_angle=int(q.optimal_rotation_angle))


class DatabaseResponse(BaseModel):
    model_config = _ex({"trace_id": TRACE, "db_id": "91309912-cbcf-4985-be08-552363ed6000",
                        "name": "Sample-db", "description": "Sample feature database.",
                        "object_type": "OBJECT_FACE", "feature_version": 4, "max_size": 1000, "size": 0,
                        "model_version": "sface-2021dec-int8:c1", "created_at": "2026-12-05T02:30:48Z"})
    trace_id: str
    db_id: str
    name: str
    description: str
    object_type: str = "OBJECT_FACE"
    feature_version: int = Field(description="Descriptor model version of the database's features.")
    max_size: int
    size: int = Field(description="Features stored now.")
    model_version: str = Field(description="Faceprint extension: the recogniser pack and score calibration the "
                               "database's features and scores come from, fixed for its life (e.g. "
                               "`sface-2021dec-int8:c1`; a bare pack name for a database made before calibrated "
                               "scores).")
    created_at: str = Field(description="Faceprint extension: when the database was created, RFC 3339 UTC.")

    @classmethod
    def of(cls, db: Database, feature_version: int, trace_id: str) -> DatabaseResponse:
        """``feature_version``: the integer of the database's recogniser pack (``FaceService.feature_version``)."""
        return cls(trace_id=trace_id, db_id=db.db_id, name=db.name, description=db.description,
                   feature_version=feature_version, max_size=db.max_size, size=db.size,
                   model_version=db.model_version, created_at=rfc3339(db.created_at))


class ListDatabasesResponse(BaseModel):
    model_config = _ex({"trace_id": TRACE, "databases": ["91309912-cbcf-4985-be08-552363ed6000"]})
    trace_id: str
    databases: list[str] = Field(description="db_id of each of the app's databases, oldest first.")


class TraceOnly(BaseModel):
    model_config = _ex({"trace_id": TRACE})
    trace_id: str


class FeatureOut(BaseModel):
    model_config = _ex(_FEATURE)
    feature_id: str
    key: str
    extra_info: str

    @classmethod
    def of(cls, f: Feature) -> FeatureOut:
        return cls(feature_id=f.feature_id, key=f.key, extra_info=f.extra_info)


class FeatureResponse(BaseModel):
    model_config = _ex({"trace_id": TRACE, "feature": _FEATURE})
    trace_id: str
    feature: FeatureOut


class AddedFeature(BaseModel):
    feature_id: str = Field(description="Empty when this item failed (see results[i]).")
    key: str
    extra_info: str
    face: FaceOut | None = Field(description="The face the feature was made of (null on failure).")

    @classmethod
    def of(cls, key: str, extra_info: str, feature: Feature | None, face: Face | None) -> AddedFeature:
        if feature is None:
            return cls(feature_id="", key=key, extra_info=extra_info, face=None)
        return cls(feature_id=feature.feature_id, key=feature.key, extra_info=feature.extra_info,
                   face=None if face is None else FaceOut.of(face))


class BatchAddResponse(BaseModel):
    """``results[i]`` and ``features[i]`` line up with ``images[i]``."""

    model_config = _ex({"trace_id": TRACE, "results": [_OK], "features": [{**_FEATURE, "face": FACE_EXAMPLE}]})
    trace_id: str
    results: list[Status]
    features: list[AddedFeature]


class ListedFeature(FeatureOut):
    created_at: str = Field(description="When the feature was added, RFC 3339 UTC.")

    @classmethod
    def of(cls, f: Feature) -> ListedFeature:
        return cls(feature_id=f.feature_id, key=f.key, extra_info=f.extra_info, created_at=rfc3339(f.created_at))


class ListFeaturesResponse(BaseModel):
    """Faceprint extension: one page of a database's features, in the order they were added."""

    model_config = _ex({"trace_id": TRACE, "features": [{**_FEATURE, "created_at": "2026-12-05T02:30:48Z"}],
                        "offset": 0, "next_offset": None})
    trace_id: str
    features: list[ListedFeature]
    offset: int = Field(description="The offset asked for.")
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")


class UpdateExtraInfoResponse(BaseModel):
    model_config = _ex({"trace_id": TRACE, "feature_id": _FEATURE["feature_id"], "extra_info": "{\"vip\":true}"})
    trace_id: str
    feature_id: str
    extra_info: str


class SearchHit(BaseModel):
    feature: FeatureOut
    score: float = Field(description="0..1, higher is more similar.")


class PersonOut(BaseModel):
    """Faceprint extension: one key (person) among a search's hits."""

    key: str
    feature: FeatureOut = Field(description="The key's best-scoring feature.")
    best_score: float
    mean_score: float = Field(description="Mean score of the key's features among the hits.")
    matched: int = Field(description="The key's features among the hits (score >= min_score).")

    @classmethod
    def of(cls, p: PersonHit) -> PersonOut:
        return cls(key=p.key, feature=FeatureOut.of(p.best), best_score=round(p.best_score, 7),
                   mean_score=round(p.mean_score, 7), matched=p.matched)


class SearchBatch(BaseModel):
    features: list[SearchHit] = Field(description="Hits with score >= min_score, best first, at most top_k "
                                      "(with group_by_key: each person's best hit).")
    persons: list[PersonOut] | None = Field(None, description="Faceprint extension, only with group_by_key: "
                                            "the persons, best first, at most top_k.")


class SearchResponse(BaseModel):
    """``results[i]`` and ``batches[i]`` line up with ``db_ids[i]``; ``face`` is the probe face."""

    model_config = _ex({"trace_id": TRACE, "results": [_OK],
                        "batches": [{"features": [{"feature": _FEATURE, "score": 0.9915448}]}],
                        "face": FACE_EXAMPLE})
    trace_id: str
    results: list[Status]
    batches: list[SearchBatch]
    face: FaceOut


class FarThreshold(BaseModel):
    far: float = Field(description="False-accept rate.")
    score: float = Field(description="The score at which the pack reaches that rate (use it as min_score).")


class RecognizerInfo(BaseModel):
    """A recogniser pack (Faceprint extension)."""

    name: str
    feature_version: int = Field(description="What a database made with this pack shows as feature_version.")
    model_version: str = Field(description="Pack and score calibration recorded by a database created now.")
    dim: int = Field(description="Descriptor dimension.")
    default: bool = Field(description="Whether new databases and compare use this pack.")
    shipped: bool = Field(description="False for a pack added with `faceprint models add`.")
    licence: str
    calibration: int = Field(description="The pack's current score calibration (0: none, score = (1 + cos) / 2).")
    thresholds: list[FarThreshold] = Field(
        description="Score thresholds per false-accept rate; the same numbers for every calibrated pack."
    )

    @classmethod
    def of(cls, spec: PackSpec, default: bool) -> RecognizerInfo:
        """A pack with its current calibration's score per false-accept rate (none before a user pack is
        calibrated with `faceprint models calibrate`)."""
        return cls(
            name=spec.name, feature_version=spec.feature_version, model_version=spec.model_version, dim=spec.dim,
            default=default, shipped=spec.shipped, licence=spec.licence, calibration=spec.calibration,
            thresholds=[FarThreshold(far=far, score=score) for far, score in FAR_SCORES.items()]
            if spec.calibration else [],
        )


class InfoResponse(BaseModel):
    """Get System Info."""

    model_config = _ex({"trace_id": TRACE, "version": "1.5.0", "server": "faceprint", "server_version": "0.1.0",
                        "model_version": "sface-2021dec-int8:c1", "feature_version": 4, "recognizers": [],
                        "app_id":
                        "abc1a8a7-038f-4f9a-b98a-5b602978b135", "quota": 100000, "quota_used": 1000,
                        "databases": 1})
    trace_id: str
    version: str = Field(description="The Mercury Cloud OpenAPI version served.")
    server: str
    server_version: str
    model_version: str = Field(description="The default recogniser pack and its calibration.")
    feature_version: int = Field(description="The default recogniser's feature_version (of new databases).")
    recognizers: list[RecognizerInfo] = Field(description="Faceprint extension: every recogniser pack.")
    app_id: str
    quota: int = Field(description="Feature ids the app may reserve (sum of its databases' max_size).")
    quota_used: int
    databases: int


class ErrorResponse(BaseModel):
    """Every error other than the gateway's 401s."""

    model_config = _ex({"trace_id": TRACE, "code": 5, "message": "Feature database not found.",
                        "internal_code": 2002})
    trace_id: str
    code: int = Field(description="gRPC canonical code (3, 5, 7, 8, 9, 13, 14).")
    message: str
    internal_code: int = Field(description="Faceprint's stable cause number (docs/api.md).")


class GatewayErrorResponse(BaseModel):
    """Kong hmac-auth's 401 body, exactly."""

    model_config = _ex({"message": "HMAC signature does not match"})
    message: str
