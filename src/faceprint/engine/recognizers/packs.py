"""Recogniser packs: what a face descriptor model is, described entirely by one manifest entry.

A pack names its model file (carried by a PyPI package and listed in ``manifest.json``, or a user's local
file with its sha256), its family (the code that runs it: ``dlib_resnet`` or ``arcface``), the input it
wants (size, colour order, layout, normalisation), how the face is aligned (dlib's chip from the 5-point
model, or the ArcFace 5-point similarity transform to a template), the output dimension, the API's
``feature_version`` number, and its **score calibration**.

Scores. The API's score is a fixed, monotone, per-pack map from the cosine similarity of two unit
descriptors to 0..1 (:class:`ScoreMap`): piecewise linear through knots placed so that one score means one
false-accept rate whichever pack made it (:data:`CALIBRATION_SCORES`: 0.94 at FAR 1e-2, 0.955 at 1e-3,
0.97 at 1e-4, 0.98 at 1e-5, and 0.5 for the median stranger), with cosine -1 at 0 and cosine 1 at 1
(identical faces score ~1). The knots are fitted
by :func:`faceprint.engine.recognizers.calibration.fit` on labelled photos and versioned with the pack: a
database keeps the calibration it was created with (its ``model_version`` is ``"<pack>:c<version>"``), so a
new calibration never changes an existing database's scores. A ``model_version`` without ``:c`` (the
databases made before packs existed) keeps the original map ``score = (1 + cos) / 2``.

User packs live in ``user-packs.json`` in the model cache beside their file (``faceprint models add``);
they are verified by sha256 like the shipped ones and never downloaded.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from faceprint.errors import BadFeatureVersion, ModelMissing

__all__ = [
    "CALIBRATION_SCORES",
    "FAMILIES",
    "FAR_SCORES",
    "LEGACY_MAP",
    "USER_PACKS_FILE",
    "Alignment",
    "PackSpec",
    "ScoreMap",
    "load_packs",
    "model_version_of",
    "parse_model_version",
    "read_user_packs",
    "resolve_pack",
    "spec_from_dict",
    "write_user_packs",
]

#: The code families that can run a pack. ``fusion``: no model of its own, the weighted concatenation of its
#: member packs' descriptors (its cosine is the weighted mean of theirs).
FAMILIES = ("dlib_resnet", "arcface", "fusion")

#: False-accept rate -> the score at which every calibrated pack reaches that rate: the knots of a fitted map.
#: Below 1e-2 the knots only keep the scale alike (a typical stranger scores ~0.5 with every pack).
CALIBRATION_SCORES: dict[float, float] = {0.5: 0.5, 0.1: 0.8, 1e-2: 0.94, 1e-3: 0.955, 1e-4: 0.97, 1e-5: 0.98}
#: The published thresholds: false-accept rate -> score (the same numbers for every calibrated pack).
FAR_SCORES: dict[float, float] = {far: CALIBRATION_SCORES[far] for far in (1e-2, 1e-3, 1e-4, 1e-5)}

#: The file, in the model cache, that lists the packs a user added.
USER_PACKS_FILE = "user-packs.json"

#: The ArcFace 5-point template on a 112x112 chip (eye on the image's left, the other eye, nose tip, mouth
#: corner on the image's left, the other corner), as insightface and OpenCV's SFace use it.
ARCFACE_112: tuple[tuple[float, float], ...] = (
    (38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (41.5493, 92.3655), (70.7299, 92.2041),
)


@dataclass(frozen=True, slots=True)
class ScoreMap:
    """The monotone map cosine (-1..1) -> score (0..1), piecewise linear through ``knots``.

    ``knots``: ``(cosine, score)`` pairs, both strictly increasing, from ``(-1, 0)`` to ``(1, 1)``.
    ``version``: 0 for the original ``(1 + cos) / 2``; calibrations count up from 1.
    """

    version: int
    knots: tuple[tuple[float, float], ...]
    #: What the knots were fitted on (free text, for the docs and ``faceprint models list``).
    fitted_on: str = ""

    def __post_init__(self) -> None:
        cs = [k[0] for k in self.knots]
        ss = [k[1] for k in self.knots]
        if len(self.knots) < 2 or cs[0] != -1.0 or cs[-1] != 1.0 or ss[0] != 0.0 or ss[-1] != 1.0:
            raise ValueError("a score map runs from (-1, 0) to (1, 1)")
        if any(b <= a for a, b in itertools.pairwise(cs)) or any(
            b <= a for a, b in itertools.pairwise(ss)
        ):
            raise ValueError("a score map's knots must be strictly increasing")

    def score(self, cosine: float) -> float:
        """The API score (0..1) of a cosine similarity."""
        c = min(max(float(cosine), -1.0), 1.0)
        return float(np.interp(c, [k[0] for k in self.knots], [k[1] for k in self.knots]))

    def cosine(self, score: float) -> float:
        """The cosine similarity whose score is ``score``: the inverse of :meth:`score`."""
        s = min(max(float(score), 0.0), 1.0)
        return float(np.interp(s, [k[1] for k in self.knots], [k[0] for k in self.knots]))

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "fitted_on": self.fitted_on, "knots": [list(k) for k in self.knots]}


#: The map of databases made before packs existed: score = (1 + cos) / 2.
LEGACY_MAP = ScoreMap(0, ((-1.0, 0.0), (1.0, 1.0)), "none: (1 + cos) / 2")


@dataclass(frozen=True, slots=True)
class Alignment:
    """How a face becomes the network's input chip.

    ``method``: ``"dlib_chip"`` (dlib's ``get_face_chip`` from the 5-point model, with ``padding``) or
    ``"similarity5"`` (the least-squares similarity transform of the five points eye centres, nose tip and
    mouth corners onto ``template``, in chip pixels)."""

    method: str
    padding: float = 0.25
    template: tuple[tuple[float, float], ...] = ARCFACE_112


@dataclass(frozen=True, slots=True)
class PackSpec:
    """One recogniser, as its manifest entry describes it."""

    #: Unique name, also the descriptor half of a database's model_version (e.g. ``"sface-2021dec"``).
    name: str
    #: The integer Mercury's API shows as a database's ``feature_version`` (unique per pack).
    feature_version: int
    family: str
    #: Model file name in the model cache.
    file: str
    #: sha256 of the file (user packs; shipped packs are checked through manifest.json).
    sha256: str | None
    licence: str
    #: Square input side, pixels.
    input_size: int
    #: ``"RGB"`` or ``"BGR"``.
    colour: str
    #: ``"NCHW"`` or ``"NHWC"``.
    layout: str
    #: Per-channel mean and std applied as ``(x - mean) / std`` to 0..255 pixels (in ``colour`` order).
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    alignment: Alignment
    dim: int
    #: The current calibration; older ones stay readable for the databases made with them.
    score_maps: Mapping[int, ScoreMap]
    calibration: int
    #: Average the descriptors of the chip and its mirror image (more accurate, twice the work).
    flip: bool = False
    #: Whether the pack ships with Faceprint (False: added by the user).
    shipped: bool = True
    #: The file's size in bytes (user packs: checked at every start, the sha256 at ``models verify``).
    size: int | None = None
    #: ``fusion`` packs: member pack name -> weight (the weights sum to 1).
    members: Mapping[str, float] = field(default_factory=dict)
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def score_map(self) -> ScoreMap:
        """The current calibration."""
        return self.score_maps[self.calibration]

    @property
    def model_version(self) -> str:
        """The model_version a database created now with this pack records."""
        return model_version_of(self.name, self.calibration)


def model_version_of(pack: str, calibration: int) -> str:
    """``"<pack>:c<calibration>"``; calibration 0 (the original map) is the bare pack name."""
    return pack if calibration == 0 else f"{pack}:c{calibration}"


def parse_model_version(model_version: str) -> tuple[str, int]:
    """``(pack, calibration)`` of a database's model_version (see :func:`model_version_of`)."""
    pack, sep, cal = model_version.rpartition(":c")
    if sep and cal.isdigit():
        return pack, int(cal)
    return model_version, 0


def _floats(v: Any, n: int, what: str) -> tuple[float, ...]:
    vals = tuple(float(x) for x in v)
    if len(vals) != n or not all(math.isfinite(x) for x in vals):
        raise ValueError(f"{what} must be {n} finite numbers")
    return vals


def _score_maps(raw: Any) -> dict[int, ScoreMap]:
    maps = {0: LEGACY_MAP}
    for item in raw or []:
        knots = tuple((float(c), float(s)) for c, s in item["knots"])
        sm = ScoreMap(int(item["version"]), knots, str(item.get("fitted_on", "")))
        maps[sm.version] = sm
    return maps


def spec_from_dict(raw: Mapping[str, Any], *, shipped: bool) -> PackSpec:
    """A :class:`PackSpec` from a manifest entry; raises ValueError naming what is wrong."""
    try:
        family = str(raw["family"])
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
        al = raw.get("alignment", {})
        template = tuple(tuple(_floats(p, 2, "a template point")) for p in al.get("template", ARCFACE_112))
        alignment = Alignment(str(al.get("method", "similarity5")), float(al.get("padding", 0.25)),
                              tuple((p[0], p[1]) for p in template))
        if alignment.method not in ("dlib_chip", "similarity5") or len(alignment.template) != 5:
            raise ValueError("alignment.method must be dlib_chip or similarity5 (with 5 template points)")
        maps = _score_maps(raw.get("calibrations"))
        calibration = int(raw.get("calibration", max(maps)))
        if calibration not in maps:
            raise ValueError(f"calibration {calibration} is not among the pack's calibrations")
        colour, layout = str(raw.get("colour", "RGB")).upper(), str(raw.get("layout", "NCHW")).upper()
        if colour not in ("RGB", "BGR") or layout not in ("NCHW", "NHWC"):
            raise ValueError("colour must be RGB or BGR and layout NCHW or NHWC")
        mean = _floats(raw.get("mean", (0.0, 0.0, 0.0)), 3, "mean")
        std = _floats(raw.get("std", (1.0, 1.0, 1.0)), 3, "std")
        if min(std) <= 0:
            raise ValueError("std must be positive")
        members = {str(k): float(v) for k, v in dict(raw.get("members") or {}).items()}
        if (family == "fusion") != bool(members) or any(not w > 0 for w in members.values()):
            raise ValueError("a fusion pack (and only it) lists members with positive weights")
        total = sum(members.values())
        members = {k: w / total for k, w in members.items()}
        name = str(raw["name"])
        if not name or any(c in name for c in ": /\\") or len(name) > 64:
            raise ValueError(f"pack name {name!r} must be 1-64 characters without ':', '/', '\\' or spaces")
        spec = PackSpec(
            name=name, feature_version=int(raw["feature_version"]), family=family,
            file=str(raw.get("file", "") if members else raw["file"]),
            sha256=(str(raw["sha256"]).lower() if raw.get("sha256") else None), licence=str(raw.get("licence", "")),
            input_size=int(raw.get("input_size", 0) if members else raw["input_size"]), colour=colour, layout=layout,
            mean=(mean[0], mean[1], mean[2]), std=(std[0], std[1], std[2]), alignment=alignment,
            dim=int(raw["dim"]), score_maps=maps, calibration=calibration, flip=bool(raw.get("flip", False)),
            shipped=shipped, size=int(raw["size"]) if raw.get("size") is not None else None, members=members,
            description=str(raw.get("description", "")),
            extra={k: v for k, v in raw.items() if k.startswith("x_")},
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"pack entry is missing or has a bad field: {exc}") from exc
    if (not members and not 8 <= spec.input_size <= 1024) or not 2 <= spec.dim <= 4096 or spec.feature_version < 1:
        raise ValueError("input_size must be 8..1024, dim 2..4096 and feature_version >= 1")
    if not shipped and spec.sha256 is None:
        raise ValueError("a user pack must give the sha256 of its file")
    return spec


def spec_to_dict(spec: PackSpec) -> dict[str, Any]:
    """The manifest entry of a pack (the inverse of :func:`spec_from_dict`)."""
    return {
        "name": spec.name, "feature_version": spec.feature_version, "family": spec.family, "file": spec.file,
        "sha256": spec.sha256, "size": spec.size, "licence": spec.licence, "input_size": spec.input_size,
        "colour": spec.colour, "layout": spec.layout, "mean": list(spec.mean), "std": list(spec.std),
        "alignment": {"method": spec.alignment.method, "padding": spec.alignment.padding,
                      "template": [list(p) for p in spec.alignment.template]},
        "dim": spec.dim, "flip": spec.flip, "description": spec.description,
        "calibration": spec.calibration,
        "calibrations": [m.to_json() for v, m in sorted(spec.score_maps.items()) if v != 0],
        **({"members": dict(spec.members)} if spec.members else {}),
        **dict(spec.extra),
    }


def read_user_packs(model_dir: Path) -> list[dict[str, Any]]:
    """The raw entries of ``user-packs.json`` in ``model_dir`` (empty when there is none)."""
    path = Path(model_dir) / USER_PACKS_FILE
    if not path.is_file():
        return []
    try:
        raw = json.loads(path.read_text())
        entries = raw["packs"]
        if not isinstance(entries, list):
            raise TypeError("packs is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelMissing(f"{path} is not a valid user pack list: {exc}") from exc
    return [dict(e) for e in entries]


def write_user_packs(model_dir: Path, entries: Iterable[Mapping[str, Any]]) -> Path:
    """Replaces ``user-packs.json`` atomically."""
    path = Path(model_dir) / USER_PACKS_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"version": 1, "packs": [dict(e) for e in entries]}, indent=1) + "\n")
    tmp.replace(path)
    return path


def _manifest() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(resources.files("faceprint.engine").joinpath("manifest.json").read_text())
    return raw


def _shipped_entries() -> list[dict[str, Any]]:
    return [dict(e) for e in _manifest().get("recognizers", [])]


def load_packs(model_dir: Path | None = None) -> dict[str, PackSpec]:
    """Every pack: the shipped ones, then the user's (from ``model_dir``), by name. Raises ModelMissing when a
    user entry is invalid or clashes with another pack's name or feature_version."""
    specs: dict[str, PackSpec] = {}
    for e in _shipped_entries():
        spec = spec_from_dict(e, shipped=True)
        specs[spec.name] = spec
    for e in read_user_packs(model_dir) if model_dir is not None else []:
        try:
            spec = spec_from_dict(e, shipped=False)
        except ValueError as exc:
            raise ModelMissing(f"User pack {e.get('name', '?')!r} in {USER_PACKS_FILE}: {exc}") from exc
        check_unique(spec, specs.values())
        specs[spec.name] = spec
    for spec in specs.values():
        if spec.members and (any(m not in specs or specs[m].members for m in spec.members)
                             or spec.dim != sum(specs[m].dim for m in spec.members)):
            raise ModelMissing(f"Fusion pack {spec.name!r}: its members must be packs of their own, and its dim "
                               "their dims' sum.")
    return specs


def resolve_pack(packs: Mapping[str, PackSpec], name: str = "") -> PackSpec:
    """The pack called ``name``, or given by its feature_version as digits; empty: the shipped default
    (the manifest's ``default_recognizer``). Raises BadFeatureVersion when there is no such pack."""
    if not name:
        name = str(_manifest().get("default_recognizer", ""))
    spec = packs.get(name)
    if spec is None and name.isdigit():
        spec = next((p for p in packs.values() if p.feature_version == int(name)), None)
    if spec is None:
        raise BadFeatureVersion(
            f"No recogniser pack {name!r} on this server (known: {', '.join(sorted(packs)) or 'none'})."
        )
    return spec


def check_unique(spec: PackSpec, others: Sequence[PackSpec] | Iterable[PackSpec]) -> None:
    """Raises ModelMissing when ``spec``'s name or feature_version is taken by another pack."""
    for o in others:
        if o.name == spec.name:
            raise ModelMissing(f"A recogniser pack named {spec.name!r} exists already.")
        if o.feature_version == spec.feature_version:
            raise ModelMissing(
                f"Pack {spec.name!r}: feature_version {spec.feature_version} is taken by {o.name!r}."
            )
