"""Argument checks every storage backend applies the same way."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from faceprint.errors import BadTopK, InvalidRequest
from faceprint.storage.base import MAX_TOP_K
from faceprint.storage.index import DIM

__all__ = ["MAX_ACTIVE_KEYS", "check_top_k", "unit_vector"]

#: Active (not revoked) access keys one app may hold.
MAX_ACTIVE_KEYS = 2


def check_top_k(top_k: int) -> None:
    """Raises BadTopK unless ``1 <= top_k <= MAX_TOP_K``."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadTopK(f"top_k must be between 1 and {MAX_TOP_K}, not {top_k}.")


def unit_vector(vector: npt.NDArray[np.floating] | npt.ArrayLike) -> npt.NDArray[np.float32]:
    """``vector`` as a float32 array of shape (128,) scaled to unit length.

    Raises InvalidRequest for another shape, a non-finite value or the zero vector."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v)) if v.shape == (DIM,) and np.all(np.isfinite(v)) else 0.0
    if not norm > 0.0 or not np.isfinite(norm):
        raise InvalidRequest(f"A descriptor must be {DIM} finite float32 values, not all zero.")
    out: npt.NDArray[np.float32] = (v / np.float32(norm)).astype(np.float32)
    return out
