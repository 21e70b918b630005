from __future__ import annotations

import itertools

import numpy as np

from faceprint.engine.similarity import (
    distance_from_score,
    score_from_distance,
    score_from_similarity,
    similarity,
    similarity_from_score,
)


def test_mapping_is_monotone_and_invertible() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=128).astype(np.float32)
    a /= np.linalg.norm(a)
    assert abs(score_from_similarity(similarity(a, a)) - 1.0) < 1e-6
    assert score_from_similarity(similarity(a, -a)) == 0.0
    cs = np.linspace(-1, 1, 41)
    scores = [score_from_similarity(float(c)) for c in cs]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(x < y for x, y in itertools.pairwise(scores))
    for c in cs:
        assert abs(similarity_from_score(score_from_similarity(float(c))) - c) < 1e-12
    for d in np.linspace(0, 2, 21):
        assert abs(distance_from_score(score_from_distance(float(d))) - d) < 1e-9
    assert abs(score_from_distance(0.6) - 0.91) < 1e-12
