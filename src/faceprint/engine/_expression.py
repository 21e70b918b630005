"""Facial expression from fer's mini-Xception (``emotion_model_quantized.tflite``, MIT; ~66 % on FER2013).

fer crops the detector's face box made square plus 10 px on each side, converts it to grey
(0.299 R + 0.587 G + 0.114 B), resizes it to 64x64 and scales to -1..1. Here the square is the face-mesh
landmark box (eyebrows to chin) widened by 15 %, rotated upright, which matches fer's Haar-cascade box.
fer's classes, in output order: angry, disgust, fear, happy, sad, surprise, neutral. The Mercury guide
has five; the mapping is :data:`GUIDE_FROM_FER` (disgust -> ST_ANGRY, fear -> ST_SURPRISED).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from faceprint.engine._facemesh import MeshResult, warp
from faceprint.engine._tflite import TFLiteModel
from faceprint.engine.types import FloatArray, RGBImage
from faceprint.vocabulary import Expression

__all__ = ["FER_CLASSES", "GUIDE_FROM_FER", "ExpressionModel"]

FER_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: fer class -> the guide's st_expression value.
GUIDE_FROM_FER = {
    "angry": Expression.ANGRY,
    "disgust": Expression.ANGRY,
    "fear": Expression.SURPRISED,
    "happy": Expression.HAPPY,
    "sad": Expression.SORROW,
    "surprise": Expression.SURPRISED,
    "neutral": Expression.CALM,
}
_CROP_SCALE = 1.15


def expression_crop(image: RGBImage, mesh: MeshResult, size: int = 64) -> RGBImage:
    """The upright square grey-able RGB crop fer's network expects, from the mesh geometry."""
    p = mesh.points[:, :2].astype(np.float64)
    angle = math.atan2(p[263, 1] - p[33, 1], p[263, 0] - p[33, 0])
    c, s = math.cos(-angle), math.sin(-angle)
    rot = np.array([[c, -s], [s, c]])
    q = p @ rot.T
    lo, hi = q.min(axis=0), q.max(axis=0)
    centre = rot.T @ ((lo + hi) / 2)
    side = float(max(hi - lo)) * _CROP_SCALE
    k = side / size
    a = np.array([[k * math.cos(angle), -k * math.sin(angle)], [k * math.sin(angle), k * math.cos(angle)]])
    t = centre - a @ np.array([size / 2, size / 2])
    return warp(image, np.hstack([a, t[:, None]]).astype(np.float32), size)


class ExpressionModel:
    """``predict(image, mesh)`` -> probabilities of the guide's five expressions."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self._model = TFLiteModel(path, threads)

    def fer_probabilities(self, image: RGBImage, mesh: MeshResult) -> FloatArray:
        """fer's 7 class probabilities (order :data:`FER_CLASSES`)."""
        crop = expression_crop(image, mesh).astype(np.float32)
        grey = crop @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        x = (grey / 255.0 - 0.5) * 2.0
        out = self._model.run(x[None, :, :, None])[0].reshape(-1)
        return np.asarray(out, dtype=np.float32)

    def predict(self, image: RGBImage, mesh: MeshResult) -> dict[Expression, float]:
        """The guide's five expressions with probabilities summing to 1."""
        probs = self.fer_probabilities(image, mesh)
        out = dict.fromkeys(Expression, 0.0)
        for name, p in zip(FER_CLASSES, probs, strict=True):
            out[GUIDE_FROM_FER[name]] += float(p)
        return out
