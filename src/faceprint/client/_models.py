"""Typed answers of the face API, mirroring the wire's JSON (names and nesting as served).

Every answer keeps the decoded JSON in ``raw`` (so a field this SDK does not model is still reachable)
and parses leniently: a missing field takes its zero value, as the server's proto3-style answers do.
Pixels are those of the image as displayed (after EXIF orientation); angles are degrees; scores 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faceprint.vocabulary import Attributes, Occlusion, QualityScores

if TYPE_CHECKING:
    from faceprint.client._errors import ApiError

__all__ = [
    "Ack",
    "AddFeaturesResponse",
    "Angle",
    "Comparison",
    "Database",
    "DatabaseList",
    "DetectResponse",
    "Face",
    "FaceBatch",
    "Feature",
    "FeatureInfo",
    "FeaturePage",
    "PersonHit",
    "Point",
    "QualityFace",
    "QualityResult",
    "RecognizerInfo",
    "Rectangle",
    "SearchBatch",
    "SearchHit",
    "SearchResponse",
    "Status",
    "SystemInfo",
]


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _float(v: Any) -> float:
    return float(v) if isinstance(v, int | float) else 0.0


def _int(v: Any) -> int:
    return int(v) if isinstance(v, int | float) else 0


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rectangle:
    """A box in pixels: ``top``, ``left`` of its upper-left corner, ``width``, ``height``."""

    top: int
    left: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def to_wire(self) -> dict[str, int]:
        return {"top": self.top, "left": self.left, "width": self.width, "height": self.height}

    @classmethod
    def from_wire(cls, d: Any) -> Rectangle:
        d = _dict(d)
        return cls(top=_int(d.get("top")), left=_int(d.get("left")),
                   width=_int(d.get("width")), height=_int(d.get("height")))


@dataclass(frozen=True, slots=True)
class Point:
    """A landmark, pixels."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Angle:
    """Head pose, degrees: yaw (left/right), pitch (up/down), roll (in-plane)."""

    yaw: float
    pitch: float
    roll: float

    @classmethod
    def from_wire(cls, d: Any) -> Angle:
        d = _dict(d)
        return cls(_float(d.get("yaw")), _float(d.get("pitch")), _float(d.get("roll")))


@dataclass(frozen=True, slots=True)
class Status:
    """A per-item outcome of a batch answer: ``code`` 0 is success, otherwise a gRPC code with Faceprint's
    ``internal_code`` (see :mod:`faceprint.errors`)."""

    code: int
    message: str
    internal_code: int

    @property
    def ok(self) -> bool:
        return self.code == 0

    def to_error(self, trace_id: str = "") -> ApiError:
        """The typed exception this failed item stands for (an ApiError subclass)."""
        from faceprint.client._errors import error_type

        cls = error_type(self.code, self.internal_code)
        return cls(self.message, trace_id=trace_id)

    @classmethod
    def from_wire(cls, d: Any) -> Status:
        d = _dict(d)
        return cls(_int(d.get("code")), _str(d.get("message")), _int(d.get("internal_code")))


@dataclass(frozen=True, slots=True)
class Face:
    """A detected face: box, detection confidence ``quality`` (0..1), head ``angle``, ``landmarks`` and the
    guide's ``attributes`` (:class:`faceprint.vocabulary.Attributes`: ``gender_code``, ``st_age``, ...; None
    where the server sent no value)."""

    rectangle: Rectangle
    quality: float
    angle: Angle | None
    landmarks: list[Point]
    attributes: Attributes
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: Any) -> Face:
        d = _dict(d)
        points = [Point(_float(p.get("x")), _float(p.get("y"))) for p in _list(d.get("landmarks"))
                  if isinstance(p, dict)]
        angle = Angle.from_wire(d["angle"]) if isinstance(d.get("angle"), dict) else None
        return cls(Rectangle.from_wire(d.get("rectangle")), _float(d.get("quality")), angle, points,
                   Attributes.from_wire(d.get("attributes")), raw=d)


@dataclass(frozen=True, slots=True)
class FaceBatch:
    """The faces found in one image of a detect request."""

    faces: list[Face]


@dataclass(frozen=True, slots=True)
class DetectResponse:
    """``results[i]`` and ``batches[i]`` line up with the request's ``images[i]``."""

    trace_id: str
    results: list[Status]
    batches: list[FaceBatch]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def faces(self) -> list[Face]:
        """The faces of the first image (the usual one-image case)."""
        return self.batches[0].faces if self.batches else []

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> DetectResponse:
        batches = [FaceBatch([Face.from_wire(f) for f in _list(_dict(b).get("faces"))])
                   for b in _list(d.get("batches"))]
        return cls(_str(d.get("trace_id")), [Status.from_wire(r) for r in _list(d.get("results"))],
                   batches, raw=d)


@dataclass(frozen=True, slots=True)
class Comparison:
    """``score`` 0..1 (higher: more likely the same person) between the largest face of each image."""

    trace_id: str
    score: float
    one_face: Face
    another_face: Face
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Comparison:
        return cls(_str(d.get("trace_id")), _float(d.get("score")), Face.from_wire(d.get("one_face")),
                   Face.from_wire(d.get("another_face")), raw=d)


@dataclass(frozen=True, slots=True)
class QualityFace:
    """The quality check of the largest face: ``quality`` and ``occlusion`` on the guide's scales
    (:class:`faceprint.vocabulary.QualityScores`, :class:`faceprint.vocabulary.Occlusion`)."""

    rectangle: Rectangle
    angle: Angle
    quality: QualityScores
    occlusion: Occlusion
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: Any) -> QualityFace:
        d = _dict(d)
        return cls(Rectangle.from_wire(d.get("rectangle")), Angle.from_wire(d.get("angle")),
                   QualityScores.from_wire(d.get("quality")), Occlusion.from_wire(d.get("occlusion")), raw=d)


@dataclass(frozen=True, slots=True)
class QualityResult:
    trace_id: str
    face: QualityFace
    #: Clockwise rotation, degrees (0, 90, 180, 270), that would make the face upright.
    optimal_rotation_angle: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> QualityResult:
        return cls(_str(d.get("trace_id")), QualityFace.from_wire(d.get("face")),
                   _int(d.get("optimal_rotation_angle")), raw=d)


@dataclass(frozen=True, slots=True)
class Database:
    """A feature database: ``size`` features stored now, at most ``max_size``."""

    trace_id: str
    db_id: str
    name: str
    description: str
    object_type: str
    feature_version: int
    max_size: int
    size: int
    #: Faceprint: the recogniser pack and score calibration of the database ("" from other servers).
    model_version: str = ""
    #: Faceprint: when it was created, RFC 3339 UTC ("" from other servers).
    created_at: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Database:
        return cls(_str(d.get("trace_id")), _str(d.get("db_id")), _str(d.get("name")),
                   _str(d.get("description")), _str(d.get("object_type")), _int(d.get("feature_version")),
                   _int(d.get("max_size")), _int(d.get("size")), _str(d.get("model_version")),
                   _str(d.get("created_at")), raw=d)


@dataclass(frozen=True, slots=True)
class DatabaseList:
    trace_id: str
    #: The app's db_ids.
    databases: list[str]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> DatabaseList:
        ids = [x if isinstance(x, str) else _str(_dict(x).get("db_id")) for x in _list(d.get("databases"))]
        return cls(_str(d.get("trace_id")), ids, raw=d)


@dataclass(frozen=True, slots=True)
class Feature:
    """A stored feature: its id, ``key`` and ``extra_info``; ``face`` is the detected face when the answer
    carries one (batch add)."""

    feature_id: str
    key: str
    extra_info: str
    face: Face | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: Any) -> Feature:
        d = _dict(d)
        face = Face.from_wire(d["face"]) if isinstance(d.get("face"), dict) else None
        return cls(_str(d.get("feature_id")), _str(d.get("key")), _str(d.get("extra_info")), face, raw=d)


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    trace_id: str
    feature: Feature
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> FeatureInfo:
        inner = d.get("feature") if isinstance(d.get("feature"), dict) else d
        return cls(_str(d.get("trace_id")), Feature.from_wire(inner), raw=d)


@dataclass(frozen=True, slots=True)
class FeaturePage:
    """Faceprint extension: one page of a database's features, oldest first (each one's ``raw`` holds its
    ``created_at``); ``next_offset`` is None on the last page."""

    trace_id: str
    features: list[Feature]
    offset: int
    next_offset: int | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> FeaturePage:
        nxt = d.get("next_offset")
        return cls(_str(d.get("trace_id")), [Feature.from_wire(f) for f in _list(d.get("features"))],
                   _int(d.get("offset")), None if nxt is None else _int(nxt), raw=d)


@dataclass(frozen=True, slots=True)
class AddFeaturesResponse:
    """``results[i]`` is the outcome of the request's ``images[i]``; ``features[i]`` the feature it made."""

    trace_id: str
    results: list[Status]
    features: list[Feature]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def items(self) -> list[tuple[Status, Feature | None]]:
        """(status, feature or None) per request item, in request order."""
        if len(self.features) == len(self.results):
            return [(s, f if s.ok else None) for s, f in zip(self.results, self.features, strict=True)]
        it = iter(self.features)  # a server that lists only the features it made
        return [(s, next(it, None) if s.ok else None) for s in self.results]

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> AddFeaturesResponse:
        return cls(_str(d.get("trace_id")), [Status.from_wire(r) for r in _list(d.get("results"))],
                   [Feature.from_wire(f) for f in _list(d.get("features"))], raw=d)


@dataclass(frozen=True, slots=True)
class SearchHit:
    feature: Feature
    #: 0..1, higher is more similar.
    score: float


@dataclass(frozen=True, slots=True)
class PersonHit:
    """One key (person) among a search's hits (Faceprint's ``group_by_key``): its best feature, best and mean
    score, and how many of its features matched."""

    key: str
    feature: Feature
    best_score: float
    mean_score: float
    matched: int

    @classmethod
    def from_wire(cls, d: Any) -> PersonHit:
        d = _dict(d)
        return cls(_str(d.get("key")), Feature.from_wire(d.get("feature")), _float(d.get("best_score")),
                   _float(d.get("mean_score")), _int(d.get("matched")))


@dataclass(frozen=True, slots=True)
class SearchBatch:
    """Hits in one database, best first; ``persons``: with ``group_by_key``, one entry per key, best first
    (empty otherwise)."""

    features: list[SearchHit]
    persons: list[PersonHit] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """``results[i]`` and ``batches[i]`` line up with the request's ``db_ids[i]``; ``face`` is the probe."""

    trace_id: str
    results: list[Status]
    batches: list[SearchBatch]
    face: Face | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def hits(self) -> list[SearchHit]:
        """Every hit of every database, best first."""
        out = [h for b in self.batches for h in b.features]
        return sorted(out, key=lambda h: h.score, reverse=True)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> SearchResponse:
        batches = [
            SearchBatch([SearchHit(Feature.from_wire(_dict(h).get("feature")), _float(_dict(h).get("score")))
                         for h in _list(_dict(b).get("features"))],
                        [PersonHit.from_wire(p) for p in _list(_dict(b).get("persons"))])
            for b in _list(d.get("batches"))
        ]
        face = Face.from_wire(d["face"]) if isinstance(d.get("face"), dict) else None
        return cls(_str(d.get("trace_id")), [Status.from_wire(r) for r in _list(d.get("results"))],
                   batches, face, raw=d)


@dataclass(frozen=True, slots=True)
class Ack:
    """An answer with nothing but its trace_id (deletes)."""

    trace_id: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Ack:
        return cls(_str(d.get("trace_id")), raw=d)


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """The Get System Info answer: ``version`` of the API served, the recogniser packs (Faceprint; empty from
    another server); everything else in ``raw``."""

    trace_id: str
    version: str
    recognizers: list[RecognizerInfo] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> SystemInfo:
        packs = d.get("recognizers")
        recs = [RecognizerInfo.from_wire(r) for r in packs if isinstance(r, dict)] if isinstance(packs, list) else []
        return cls(_str(d.get("trace_id")), _str(d.get("version")), recs, raw=d)


@dataclass(frozen=True, slots=True)
class RecognizerInfo:
    """A recogniser pack of the server: the ``feature_version`` to create a database with, and its score
    thresholds by false-accept rate (empty for an uncalibrated pack)."""

    name: str
    feature_version: int
    dim: int
    default: bool
    thresholds: dict[float, float] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> RecognizerInfo:
        th = d.get("thresholds")
        pairs = [t for t in th if isinstance(t, dict)] if isinstance(th, list) else []
        return cls(_str(d.get("name")), _int(d.get("feature_version")), _int(d.get("dim")), d.get("default") is True,
                   {_float(t.get("far")): _float(t.get("score")) for t in pairs})
