"""Pixel statistics of face parts, measured on the face mesh's upright 192x192 crop.

Every estimator without a model of its own (mask, glasses, sunglasses, moustache, cap, helmet, the
quality occlusions) reads the same numbers: per part, the median luma and chroma (YCbCr, 0..255), the
fraction of pixels whose chroma or luma is unlike the face's own skin, the fraction that are flat
(no local texture), and the gradient energy relative to the luma. The skin reference is taken from the
cheeks, forehead and nose; its chroma spread sets how far "unlike skin" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from faceprint.engine._facemesh import MESH_SIZE, MeshResult, Regions

__all__ = ["FaceRegions", "PartStats", "median"]

BoolArray = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]


@dataclass(slots=True)
class PartStats:
    """Statistics of one part. ``foreign``: 0..1 share of pixels unlike skin; ``flat``: 0..1 share with no
    texture; ``dark``: 0..1 share much darker than skin; ``grad``: mean gradient / mean luma;
    ``y``/``cb``/``cr``: medians; ``n``: pixel count."""

    y: float
    cb: float
    cr: float
    foreign: float
    flat: float
    dark: float
    grad: float
    n: int


def median(values: F64) -> float:
    """``float(np.median(values))`` of a non-empty 1-d array without NaNs, with less overhead."""
    n = values.shape[0]
    k = n // 2
    if n % 2:
        return float(np.partition(values, k)[k])
    part = np.partition(values, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2.0)


def _hull_mask(points: F64, scale: float = 1.0) -> BoolArray:
    pts = np.asarray(points, dtype=np.float64)
    if scale != 1.0:
        c = pts.mean(axis=0)
        pts = c + (pts - c) * scale
    try:
        order = ConvexHull(pts).vertices
    except (QhullError, ValueError):
        return np.zeros((MESH_SIZE, MESH_SIZE), dtype=bool)
    img = Image.new("1", (MESH_SIZE, MESH_SIZE), 0)
    ImageDraw.Draw(img).polygon([(float(x), float(y)) for x, y in pts[order]], fill=1)
    return np.asarray(img, dtype=bool)


class FaceRegions:
    """Part masks and statistics for one face mesh (crop coordinates, rotation-normalised)."""

    def __init__(self, mesh: MeshResult) -> None:
        self.mesh = mesh
        rgb = mesh.crop.astype(np.float64)
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        self.y = 0.299 * r + 0.587 * g + 0.114 * b
        self.cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
        self.cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b
        gy, gx = np.gradient(ndimage.gaussian_filter(self.y, 0.7))
        self.grad = np.hypot(gx, gy)
        mean = ndimage.uniform_filter(self.y, 5)
        self.local_std = np.sqrt(np.maximum(ndimage.uniform_filter(self.y**2, 5) - mean**2, 0.0))
        self.pts = mesh.crop_points[:, :2].astype(np.float64)
        # Pixels the crop took from outside the image are black fill, not face. (An erosion of this mask
        # or-ed with the mask itself is the mask: the erosion is a subset.)
        c = mesh.crop
        self.valid = (c[..., 0] > 0) | (c[..., 1] > 0) | (c[..., 2] > 0)

    def hull(self, idx: list[int], scale: float = 1.0) -> BoolArray:
        return _hull_mask(self.pts[idx], scale)

    @cached_property
    def masks(self) -> dict[str, BoolArray]:
        """Named part masks: eye/brow/nose/mouth/... and their combinations."""
        m: dict[str, BoolArray] = {}
        re, le = self.hull(Regions.RIGHT_EYE), self.hull(Regions.LEFT_EYE)
        m["eye_open"] = re | le
        # Skin ring around each eye (lids, below the eye): where glasses frames and sunglasses sit.
        m["eye"] = (self.hull(Regions.RIGHT_EYE, 2.0) | self.hull(Regions.LEFT_EYE, 2.0))
        m["eye_ring"] = m["eye"] & ~m["eye_open"]
        m["eyebrow"] = self.hull(Regions.RIGHT_BROW, 1.3) | self.hull(Regions.LEFT_BROW, 1.3)
        m["nose"] = self.hull(Regions.NOSE)
        m["mouth"] = self.hull(Regions.LIPS_OUTER, 1.15)
        m["philtrum"] = self.hull(Regions.PHILTRUM) & ~self.hull(Regions.LIPS_OUTER)
        m["chin"] = self.hull(Regions.CHIN) & ~m["mouth"]
        m["cheeks"] = self.hull(Regions.RIGHT_CHEEK) | self.hull(Regions.LEFT_CHEEK)
        m["forehead"] = self.hull(Regions.FOREHEAD) & ~m["eyebrow"]
        m["oval"] = self.hull(Regions.FACE_OVAL)
        inner = self.hull(Regions.FACE_OVAL, 0.82)
        m["face_line"] = m["oval"] & ~inner
        # The outline band below the mouth corners: where a beard grows along the jaw.
        rows = np.arange(MESH_SIZE)[:, None] > float(min(self.pts[61, 1], self.pts[291, 1]))
        m["jaw"] = m["face_line"] & rows
        # Bridge between the eyes, where a glasses' bridge crosses the nose.
        p = self.pts
        bridge = np.array([p[133], p[362], p[168], p[6], p[197] * 0.5 + p[6] * 0.5])
        m["bridge"] = _hull_mask(bridge, 1.0) & ~m["eye_open"]
        # Band above the forehead (a cap's crown or brim).
        top, fore = p[10], p[151]
        up = top - fore
        side = p[454] - p[234]
        band = np.array([top + up * 0.2 - side * 0.35, top + up * 0.2 + side * 0.35,
                         top + up * 2.2 + side * 0.45, top + up * 2.2 - side * 0.45])
        m["above"] = _hull_mask(band)
        # Each temple, from the outline's upper side outwards (a helmet's shell covers it, hair or skin
        # shows otherwise).
        temples = []
        for idx, out in (([162, 21, 54, 103], -side), ([389, 251, 284, 332], side)):
            pts = p[idx]
            temples.append(_hull_mask(np.vstack([pts + out * 0.04, pts + out * 0.16 + up * 1.2])))
        m["temple"] = temples[0] | temples[1]
        # Skin strip under each eye (where sunglasses' lenses sit and masks do not reach).
        strips = []
        for eye, (a, b) in ((Regions.RIGHT_EYE[:9], (33, 133)), (Regions.LEFT_EYE[:9], (263, 362))):
            lid = p[eye]
            drop = np.array([0.0, 0.45 * float(np.hypot(*(p[a] - p[b])))])
            strips.append(_hull_mask(np.vstack([lid + drop * 0.25, lid + drop])))
        m["under_eye"] = (strips[0] | strips[1]) & ~m["eye_open"]
        return {k: v & self.valid for k, v in m.items()}

    @cached_property
    def skin(self) -> tuple[float, float, float, float, float]:
        """(Y, Cb, Cr, chroma spread, luma spread) of the face's own skin (forehead and under the eyes)."""
        # The upper face first: a mask covers the nose and cheeks, rarely the forehead and under the eyes.
        sel = self.masks["forehead"] | self.masks["under_eye"]
        if sel.sum() < 40:
            sel = sel | self.masks["cheeks"] | self.masks["nose"]
        if sel.sum() < 20:
            sel = self.masks["oval"]
        idx = np.flatnonzero(sel)
        y, cb, cr = self.y.ravel()[idx], self.cb.ravel()[idx], self.cr.ravel()[idx]
        ym, cbm, crm = median(y), median(cb), median(cr)
        dc = np.hypot(cb - cbm, cr - crm)
        spread = float(max(np.percentile(dc, 60), 2.0))
        yspread = float(max(np.percentile(np.abs(y - ym), 60), 4.0))
        return ym, cbm, crm, spread, yspread

    def stats(self, name: str) -> PartStats:
        """Statistics of the part ``name`` (a key of :attr:`masks`)."""
        sel = self.masks[name]
        n = int(sel.sum())
        if n < 4:
            return PartStats(0.0, 128.0, 128.0, 1.0, 1.0, 1.0, 0.0, n)
        ym, cbm, crm, spread, _ = self.skin
        idx = np.flatnonzero(sel)
        y, cb, cr = self.y.ravel()[idx], self.cb.ravel()[idx], self.cr.ravel()[idx]
        dc = np.hypot(cb - cbm, cr - crm)
        lum_ratio = (y + 8.0) / (ym + 8.0)
        foreign = (dc > 3.0 * spread + 4.0) | (lum_ratio < 0.45) | (lum_ratio > 1.8)
        flat = self.local_std.ravel()[idx] < 1.5
        dark = lum_ratio < 0.5
        grad = float(self.grad.ravel()[idx].mean() / (float(y.mean()) + 8.0))
        return PartStats(median(y), median(cb), median(cr),
                         float(foreign.mean()), float(flat.mean()), float(dark.mean()), grad, n)
