"""The quality check's figures, on the scales of the Mercury guide's table.

``quality`` (all floats):

- ``distance2center`` 0..1, far -> near: ``max(1 - d / short_side, 0)``, d = distance from the face box's
  centre to the image centre, short_side = the image's shorter side.
- ``size`` 0..1: face box area / image area.
- ``brightness`` -1..1, dark -> bright: mean luma of the face (inside the mesh's face outline) mapped
  linearly, 0 -> -1, 127.5 -> 0, 255 -> 1. Passport-like photos: -0.5..0.5.
- ``sharpness`` 0..1, bad -> good: ``1 - exp(-S / SHARPNESS_SCALE)`` where S is the mean absolute
  Laplacian of the face's luma (in the 192x192 mesh crop) over the luma's standard deviation: contrast-
  independent; a face blurred or enlarged from a few pixels scores low.
- ``mouth_open`` 0..1, closed -> open: gap between the inner lips / mouth width (mesh), capped at 1.
- ``align_score`` >= 0, low -> high, unbounded in principle (capped at 10): agreement of the two
  landmark models, ``presence * 0.1 / max(e, 0.01)`` with e the mean distance between the 5-point
  model's eye centres and nose and the mesh's, in eye distances; >= 1.0 means they agree within 10 %.
- ``missing`` 0..1, the effective visible face proportion (high = complete): the share of mesh points
  inside the image times ``1 - occlusion_total``.

``occlusion`` (0..1, low -> high): ``eye``, ``nose``, ``mouth``, ``eyebrow``, ``face_line`` (the outline
band of the face) and ``occlusion_total`` (their area-weighted mean). Per part: the share of its pixels
that are unlike the face's own skin in chroma, or flat (no texture, as a uniform patch is), above the
share a clean face shows there (``_BASELINE``, the median over the evaluation photos), rescaled to 0..1.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from faceprint.engine._facemesh import MeshResult, eye_centres
from faceprint.engine._regions import FaceRegions
from faceprint.engine.types import Face, RGBImage
from faceprint.vocabulary import Occlusion, QualityScores

if TYPE_CHECKING:
    from faceprint.engine.attributes import FaceAnalyzer

__all__ = ["OCCLUSION_KEYS", "QUALITY_KEYS", "SHARPNESS_SCALE", "assess_quality"]

QUALITY_KEYS = tuple(f.name for f in fields(QualityScores))
OCCLUSION_KEYS = tuple(f.name for f in fields(Occlusion))
SHARPNESS_SCALE = 0.12
_PARTS = {"eye": "eye_ring", "nose": "nose", "mouth": "mouth", "eyebrow": "eyebrow", "face_line": "face_line"}
#: Share of "unlike skin" pixels a clean face shows in each part (median over the evaluation photos).
_BASELINE = {"eye": 0.10, "nose": 0.02, "mouth": 0.30, "eyebrow": 0.35, "face_line": 0.25}


def _occlusion(fr: FaceRegions) -> dict[str, float]:
    _, cbs, crs, spread, _ = fr.skin
    # Lips and flushed skin are redder than the reference; occluders rarely are, so red is not "unlike".
    redder = (fr.cr - crs) > 0.6 * np.abs(fr.cb - cbs)
    chroma_far = (np.hypot(fr.cb - cbs, fr.cr - crs) > 3.0 * spread + 6.0) & ~redder
    flat = fr.local_std < 1.0
    odd = chroma_far | flat
    out: dict[str, float] = {}
    weights: dict[str, float] = {}
    for key, part in _PARTS.items():
        sel = fr.masks[part]
        n = int(sel.sum())
        share = float(odd[sel].mean()) if n >= 4 else 0.0
        base = _BASELINE[key]
        out[key] = float(np.clip((share - base) / (1.0 - base), 0.0, 1.0))
        weights[key] = float(n)
    total = sum(weights.values())
    out["occlusion_total"] = sum(out[k] * weights[k] for k in weights) / total if total > 0 else 0.0
    return {k: round(out[k], 4) for k in OCCLUSION_KEYS}


def _sharpness(fr: FaceRegions) -> float:
    sel = fr.masks["oval"]
    if sel.sum() < 16:
        return 0.0
    lap = np.abs(ndimage.laplace(fr.y))
    s = float(lap[sel].mean()) / (float(fr.y[sel].std()) + 4.0)
    return 1.0 - math.exp(-s / SHARPNESS_SCALE)


def _align_score(mesh: MeshResult, face: Face) -> float:
    if face.points5 is None:
        return 0.0
    left, right, nose = eye_centres(face.points5)
    p = mesh.points[:, :2]
    m_left, m_right = (p[33] + p[133]) / 2, (p[263] + p[362]) / 2
    d = float(np.hypot(*(right - left)))
    if d <= 0:
        return 0.0
    err = (np.hypot(*(m_left - left)) + np.hypot(*(m_right - right)) + np.hypot(*(p[2] - nose))) / 3 / d
    return float(min(mesh.presence * 0.1 / max(float(err), 0.01), 10.0))


def assess_quality(image: RGBImage, face: Face, analyzer: FaceAnalyzer) -> tuple[QualityScores, Occlusion]:
    """(quality, occlusion) of one face with 5 points; see the module docstring for scales."""
    h, w = image.shape[:2]
    cx, cy = face.box.center
    dist = math.hypot(cx - w / 2.0, cy - h / 2.0)
    quality: dict[str, float] = {
        "distance2center": max(1.0 - dist / max(min(w, h), 1), 0.0),
        "size": min(face.box.area / float(max(w * h, 1)), 1.0),
    }
    mesh = analyzer.face_mesh(image, face)
    if mesh is None:
        quality.update(align_score=0.0, brightness=0.0, sharpness=0.0, mouth_open=0.0, missing=0.0)
        return QualityScores(**{k: round(quality[k], 4) for k in QUALITY_KEYS}), Occlusion()
    fr = FaceRegions(mesh)
    occ = _occlusion(fr)
    oval = fr.masks["oval"]
    luma = float(fr.y[oval].mean()) if oval.sum() >= 4 else float(fr.y.mean())
    p = mesh.points[:, :2]
    width = float(np.hypot(*(p[291] - p[61])))
    gap = float(np.hypot(*(p[14] - p[13])))
    inside = float(np.mean((p[:, 0] >= 0) & (p[:, 0] < w) & (p[:, 1] >= 0) & (p[:, 1] < h)))
    quality.update(
        brightness=float(np.clip(luma / 127.5 - 1.0, -1.0, 1.0)),
        sharpness=_sharpness(fr),
        mouth_open=float(min(gap / width, 1.0)) if width > 0 else 0.0,
        align_score=_align_score(mesh, face),
        missing=inside * (1.0 - occ["occlusion_total"]),
    )
    return QualityScores(**{k: round(float(quality[k]), 4) for k in QUALITY_KEYS}), Occlusion(**occ)
