"""Comparing two descriptors, and the default same-person threshold.

Descriptors are L2-normalised, so their cosine similarity is their dot product (-1..1). The API's score
(0..1) is not computed here: each recogniser pack maps the cosine through its own calibrated, monotone
:class:`~faceprint.engine.recognizers.packs.ScoreMap`, fitted so that a score means the same false-accept
rate whichever pack made it. :data:`DEFAULT_THRESHOLD` is the score at a false-accept rate of 1e-3 for
every calibrated pack, inside Mercury Cloud's own advice of 0.94-0.96 for a search's ``min_score``.
"""

from __future__ import annotations

import numpy as np

from faceprint.engine.recognizers.packs import FAR_SCORES
from faceprint.engine.types import FloatArray

__all__ = ["DEFAULT_THRESHOLD", "similarity"]

#: The default same-person decision threshold on the score: a false-accept rate of 1e-3.
DEFAULT_THRESHOLD = FAR_SCORES[1e-3]


def similarity(a: FloatArray, b: FloatArray) -> float:
    """Cosine similarity of two unit descriptors, -1..1."""
    return float(np.clip(np.dot(a.astype(np.float64), b.astype(np.float64)), -1.0, 1.0))
