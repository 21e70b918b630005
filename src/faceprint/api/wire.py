"""Domain objects -> the JSON shapes of :mod:`faceprint.api.responses`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from faceprint.engine.recognizers.packs import FAR_SCORES, PackSpec
from faceprint.engine.types import Box, Face, ImageInput
from faceprint.errors import FaceprintError
from faceprint.storage.base import Database, Feature

if TYPE_CHECKING:
    from faceprint.api.requests import ImageIn
    from faceprint.engine.engine import QualityReport

__all__ = [
    "OK",
    "database_json",
    "face_json",
    "feature_json",
    "image_of",
    "quality_json",
    "recognizer_json",
    "rectangle_json",
]

#: The per-item success status.
OK: dict[str, Any] = {"code": 0, "message": "Success.", "internal_code": 0}

_ATTR_STR = ("st_age", "gender_code", "mustache_style", "respirator_color", "glass_style", "cap_style",
             "st_helmet_style", "st_expression", "st_respirator")


def _num(x: Any, nd: int = 4) -> float:
    v = float(x)
    return round(v, nd) if math.isfinite(v) else 0.0


def rectangle_json(box: Box) -> dict[str, int]:
    """Integer pixels: the box's top-left rounded, its size rounded."""
    return {"top": round(box.top), "left": round(box.left), "width": round(box.width),
            "height": round(box.height)}


def image_of(image: ImageIn) -> ImageInput:
    """A request image as the service takes it: base64 text and an engine Box (or None)."""
    rect = image.rectangle
    box = None if rect is None else Box(float(rect.left), float(rect.top), float(rect.width), float(rect.height))
    return ImageInput(image.data, box)


def _attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in ("age_lower_limit", "age_up_limit"):
        v = attrs.get(k, 0)
        out[k] = round(float(v)) if isinstance(v, int | float) else 0
    for k in _ATTR_STR:
        v = attrs.get(k, "")
        out[k] = v if isinstance(v, str) else ""
    return out


def face_json(face: Face) -> dict[str, Any]:
    """The API's Face object (decision 11)."""
    a = face.angle
    pts = face.points5 if face.points5 is not None else face.keypoints
    return {
        "rectangle": rectangle_json(face.box),
        "quality": _num(face.score, 7),
        "angle": {"yaw": _num(a.yaw, 2), "pitch": _num(a.pitch, 2), "roll": _num(a.roll, 2)}
        if a is not None else {"yaw": 0.0, "pitch": 0.0, "roll": 0.0},
        "landmarks": [] if pts is None else [{"x": _num(p[0], 2), "y": _num(p[1], 2)} for p in pts],
        "attributes": _attributes(face.attributes),
    }


def quality_json(q: QualityReport) -> dict[str, Any]:
    """Decision 10: ``face`` {rectangle, angle, quality, occlusion} plus ``optimal_rotation_angle``."""
    return {
        "face": {
            "rectangle": rectangle_json(q.face.box),
            "angle": {"yaw": _num(q.angle.yaw, 2), "pitch": _num(q.angle.pitch, 2), "roll": _num(q.angle.roll, 2)},
            "quality": {k: _num(v) for k, v in q.quality.items()},
            "occlusion": {k: _num(v) for k, v in q.occlusion.items()},
        },
        "optimal_rotation_angle": int(q.optimal_rotation_angle),
    }


def database_json(db: Database, feature_version: int) -> dict[str, Any]:
    """``feature_version``: the integer of the database's recogniser pack (``FaceService.feature_version``)."""
    return {
        "db_id": db.db_id, "name": db.name, "description": db.description, "object_type": "OBJECT_FACE",
        "feature_version": feature_version, "max_size": db.max_size, "size": db.size,
    }


def recognizer_json(spec: PackSpec, default: bool) -> dict[str, Any]:
    """A recogniser pack as GET info lists it: its current calibration's score per false-accept rate."""
    return {
        "name": spec.name, "feature_version": spec.feature_version, "model_version": spec.model_version,
        "dim": spec.dim, "default": default, "shipped": spec.shipped, "licence": spec.licence,
        "calibration": spec.calibration,
        # an uncalibrated pack (a user's, before `faceprint models calibrate`) has no such scores
        "thresholds": [{"far": far, "score": score} for far, score in FAR_SCORES.items()] if spec.calibration else [],
    }


def feature_json(f: Feature) -> dict[str, str]:
    return {"feature_id": f.feature_id, "key": f.key, "extra_info": f.extra_info}


def status_json(err: FaceprintError | None) -> dict[str, Any]:
    return dict(OK) if err is None else err.to_status()
