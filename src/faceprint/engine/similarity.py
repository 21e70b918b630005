"""The fixed mapping between descriptor distance and the API's similarity score.

Descriptors are L2-normalised 128-D vectors (dlib ResNet). For unit vectors the Euclidean distance
``d`` (0..2) and the cosine similarity ``c`` (-1..1) are tied by ``c = 1 - d**2 / 2``. The score is

    score = (1 + c) / 2 = 1 - d**2 / 4        (0..1, higher = more similar)

so identical faces score 1.0 and opposite vectors 0.0. On the evaluation set (bench/evaluate.py) the same
person scores 0.963-0.998 (median 0.983) and different people 0.85-0.955 (median 0.916), which sits close to
Mercury Cloud's own guidance of 0.94-0.96 as a search threshold. The mapping is monotone and exactly
invertible, which lets a search's ``min_score`` be applied inside the store as a cosine bound. The
thresholds for given false-accept rates are in the README.
"""

from __future__ import annotations

import numpy as np

from faceprint.engine.types import FloatArray

__all__ = [
    "DEFAULT_THRESHOLD",
    "MODEL_VERSION",
    "distance_from_score",
    "score_from_distance",
    "score_from_similarity",
    "similarity",
    "similarity_from_score",
]

#: Version tag stored with every descriptor: descriptors of different versions are never compared.
MODEL_VERSION = "dlib-resnet-v1"

#: The default same-person decision threshold on the score, calibrated on the evaluation set
#: (bench/evaluate.py): between the thresholds for a false-accept rate of 1e-2 (0.952) and 1e-3 (0.963).
DEFAULT_THRESHOLD = 0.955


def similarity(a: FloatArray, b: FloatArray) -> float:
    """Cosine similarity of two unit descriptors, -1..1."""
    return float(np.clip(np.dot(a.astype(np.float64), b.astype(np.float64)), -1.0, 1.0))


def score_from_similarity(c: float) -> float:
    """Cosine similarity (-1..1) to the API score (0..1)."""
    return float(min(max((1.0 + c) / 2.0, 0.0), 1.0))


def similarity_from_score(score: float) -> float:
    """API score (0..1) to cosine similarity (-1..1): the inverse of :func:`score_from_similarity`."""
    return 2.0 * float(score) - 1.0


def score_from_distance(d: float) -> float:
    """Euclidean distance of unit descriptors (0..2) to the score (0..1)."""
    return float(min(max(1.0 - d * d / 4.0, 0.0), 1.0))


def distance_from_score(score: float) -> float:
    """Score (0..1) to the Euclidean distance of unit descriptors (0..2)."""
    return float(2.0 * np.sqrt(max(1.0 - score, 0.0)))
