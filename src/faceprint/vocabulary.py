"""The Mercury guide's vocabulary, written once: attribute enums and the typed attribute, quality and occlusion
records that the engine fills, the API renders, the SDK parses and the command line prints.

Imports nothing from Faceprint: the engine, the server, the SDK and the CLI all stand on it. A field added
here (and filled by the engine) reaches the API's answer, the SDK's models and the CLI's output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, TypeVar

__all__ = [
    "CONFIDENCE_FIELDS",
    "ENUM_FIELDS",
    "AgeClass",
    "Attributes",
    "CapStyle",
    "Expression",
    "Gender",
    "GlassStyle",
    "HelmetStyle",
    "MustacheStyle",
    "Occlusion",
    "QualityScores",
    "RespiratorColor",
    "choices",
]


class AgeClass(StrEnum):
    CHILD = "ST_CHILD"
    ADULT = "ST_ADULT"
    OLD = "ST_OLD"


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class MustacheStyle(StrEnum):
    NONE = "MUSTACHE_STYLE_TYPE_NONE"
    WHISKERS = "WHISKERS"


class RespiratorColor(StrEnum):
    """The guide's mask attribute: NONE is no mask, OTHER a mask of any colour."""

    NONE = "COLOR_TYPE_NONE"
    OTHER = "COLOR_TYPE_OTHER"


class GlassStyle(StrEnum):
    NONE = "GLASSES_STYLE_TYPE_NONE"
    TRANSPARENT = "TRANSPARENT_GLASSES"
    SUNGLASSES = "SUNGLASSES"


class CapStyle(StrEnum):
    NONE = "HAT_STYLE_TYPE_NONE"
    CAP = "CAP"


class HelmetStyle(StrEnum):
    NONE = "ST_HELMET_STYLE_TYPE_NONE"
    HELMET = "ST_HELMET"


class Expression(StrEnum):
    CALM = "ST_CALM"
    HAPPY = "ST_HAPPY"
    ANGRY = "ST_ANGRY"
    SURPRISED = "ST_SURPRISED"
    SORROW = "ST_SORROW"


def choices(enum: type[StrEnum]) -> str:
    """The spellings of an enum as the API documents them: ``A | B | C``."""
    return " | ".join(m.value for m in enum)


E = TypeVar("E", bound=StrEnum)


def _enum(kind: type[E], v: Any) -> E | None:
    """Lenient parse: a known spelling, else None (an answer from a newer server still parses)."""
    try:
        return kind(v)
    except ValueError:
        return None


def _number(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and math.isfinite(float(v)) else 0.0


#: The attributes that carry a confidence in :attr:`Attributes.confidence`.
CONFIDENCE_FIELDS = ("st_age", "gender_code", "mustache_style", "respirator_color", "glass_style", "cap_style",
                     "st_helmet_style", "st_expression")
#: Which enum each attribute's value comes from, in the guide's order.
ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "st_age": AgeClass, "gender_code": Gender, "mustache_style": MustacheStyle,
    "respirator_color": RespiratorColor, "glass_style": GlassStyle, "cap_style": CapStyle,
    "st_helmet_style": HelmetStyle, "st_expression": Expression,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Attributes:
    """The guide's face attributes. Predictions, not facts (docs/attributes.md measures each).

    ``age_lower_limit``/``age_up_limit``: years, the shortest interval around the age model's mode holding
    50 % of its probability. ``confidence``: 0..1, the probability of the value given, per attribute name
    (:data:`CONFIDENCE_FIELDS`); ``age_confidence``: the probability mass inside the age interval;
    ``age_estimate``: the model's expected age in years (both Faceprint extras, not on the wire)."""

    age_lower_limit: int = 0
    age_up_limit: int = 0
    st_age: AgeClass | None = None
    gender_code: Gender | None = None
    mustache_style: MustacheStyle | None = None
    respirator_color: RespiratorColor | None = None
    glass_style: GlassStyle | None = None
    cap_style: CapStyle | None = None
    st_helmet_style: HelmetStyle | None = None
    st_expression: Expression | None = None
    confidence: Mapping[str, float] = field(default_factory=dict)
    age_confidence: float = 0.0
    age_estimate: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        """The API's attributes object: every key, ``""`` for an unknown value (proto3's zero value)."""
        out: dict[str, Any] = {"age_lower_limit": self.age_lower_limit, "age_up_limit": self.age_up_limit}
        for name in ENUM_FIELDS:
            v = getattr(self, name)
            out[name] = "" if v is None else v.value
        out["st_respirator"] = ""  # reserved by the guide, never filled
        return out

    @classmethod
    def from_wire(cls, d: Any) -> Attributes:
        """Parse the API's attributes object leniently (missing or unknown values are None / 0)."""
        d = d if isinstance(d, dict) else {}
        values: dict[str, Any] = {name: _enum(kind, d.get(name)) for name, kind in ENUM_FIELDS.items()}
        return cls(age_lower_limit=int(_number(d.get("age_lower_limit"))),
                   age_up_limit=int(_number(d.get("age_up_limit"))), **values)


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityScores:
    """The quality check's figures on the guide's scales (reference ranges in brackets; see
    :mod:`faceprint.engine.quality` for how each is measured)."""

    #: Face centre to image centre, 0 far .. 1 centred (0.2..1).
    distance2center: float = 0.0
    #: Landmark fit, low..high, capped at 10 (>= 1.0).
    align_score: float = 0.0
    #: -1 dark .. 1 bright (-0.5..0.5).
    brightness: float = 0.0
    #: 0 blurred .. 1 sharp (0.8..1).
    sharpness: float = 0.0
    #: 0 closed .. 1 open (0..0.4).
    mouth_open: float = 0.0
    #: Share of the face inside the image and not occluded, 1 whole (0.9..1).
    missing: float = 0.0
    #: Face area / image area, 0..1 (0..0.85).
    size: float = 0.0

    def to_wire(self) -> dict[str, float]:
        return {f.name: round(_number(getattr(self, f.name)), 4) for f in fields(self)}

    @classmethod
    def from_wire(cls, d: Any) -> QualityScores:
        d = d if isinstance(d, dict) else {}
        return cls(**{f.name: _number(d.get(f.name)) for f in fields(cls)})


@dataclass(frozen=True, slots=True, kw_only=True)
class Occlusion:
    """How much of each part is hidden, 0 none .. 1 fully (reference ranges in brackets)."""

    #: Area-weighted mean over the parts (0..0.02).
    occlusion_total: float = 0.0
    eye: float = 0.0  # (0)
    nose: float = 0.0  # (0)
    mouth: float = 0.0  # (0..0.4)
    eyebrow: float = 0.0  # (0)
    #: The outline band of the face (0..0.1).
    face_line: float = 0.0

    def to_wire(self) -> dict[str, float]:
        return {f.name: round(_number(getattr(self, f.name)), 4) for f in fields(self)}

    @classmethod
    def from_wire(cls, d: Any) -> Occlusion:
        d = d if isinstance(d, dict) else {}
        return cls(**{f.name: _number(d.get(f.name)) for f in fields(cls)})
