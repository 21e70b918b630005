"""Synthetic face descriptors with a known identity per row, for the clustering benchmark and tests.

The spread imitates SFace's cosines on LFW: different people at about 0.10 +- 0.09 (so about 1.2e-3 of the
pairs reach 0.373, the default threshold's cosine, where SFace's calibration puts 1e-3), photos of one person
at about 0.64 +- 0.14 (2 % of the pairs below 0.373). Identity centres share a mean direction and lie in a
90-dimensional subspace (real descriptors are correlated); each photo adds noise of a strength drawn per
photo (some photos are poor). The constants were fitted on these target figures, never on a clustering
result."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["synthetic_faces"]

_CENTRE_DIM = 90
_MEAN_WEIGHT = 0.40
_NOISE = (0.2, 1.3)


def synthetic_faces(
    n: int, identities: int, dim: int = 128, seed: int = 0,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """``(descriptors (n, dim) unit float32, identity per row)``: ``identities`` people (1 <= identities <= n),
    each with at least one photo, photo counts skewed (many people with few photos, a few with many)."""
    if not 1 <= identities <= n:
        raise ValueError("1 <= identities <= n")
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 1.0, size=identities)
    sizes = 1 + rng.multinomial(n - identities, weights / weights.sum())
    labels = np.repeat(np.arange(identities, dtype=np.int64), sizes)
    mean = rng.standard_normal(dim)
    mean /= np.linalg.norm(mean)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, _CENTRE_DIM)))
    centres = rng.standard_normal((identities, _CENTRE_DIM)) @ basis.T
    centres -= np.outer(centres @ mean, mean)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    centres = _MEAN_WEIGHT * mean + np.sqrt(1 - _MEAN_WEIGHT**2) * centres
    noise = rng.standard_normal((n, dim)) / np.sqrt(dim)
    strength = rng.uniform(*_NOISE, size=(n, 1))
    x = centres[labels] + strength * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    order = rng.permutation(n)
    return x[order].astype(np.float32), labels[order]
