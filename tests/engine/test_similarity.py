from __future__ import annotations

import numpy as np

from faceprint.engine.recognizers.packs import FAR_SCORES, load_packs
from faceprint.engine.similarity import DEFAULT_THRESHOLD, similarity


def test_similarity_is_the_clipped_dot_product_of_unit_vectors() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(128).astype(np.float32)
    a /= np.linalg.norm(a)
    b = rng.standard_normal(128).astype(np.float32)
    b /= np.linalg.norm(b)
    assert abs(similarity(a, a) - 1.0) < 1e-6 and abs(similarity(a, -a) + 1.0) < 1e-6
    assert similarity(a, b) == float(np.dot(a.astype(np.float64), b.astype(np.float64)))
    assert similarity(a * 2, a * 2) == 1.0  # clipped


def test_the_default_threshold_is_every_calibrated_pack_at_far_1e3() -> None:
    assert DEFAULT_THRESHOLD == FAR_SCORES[1e-3] == 0.955
    for spec in load_packs().values():
        if spec.calibration:
            assert any(s == DEFAULT_THRESHOLD for _, s in spec.score_map.knots)
