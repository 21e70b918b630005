"""Argument checks every storage backend applies the same way."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from faceprint.errors import BadTopK, InvalidRequest
from faceprint.storage.base import MAX_TOP_K
from faceprint.storage.index import MAX_DIM, VectorIndex

__all__ = ["MAX_ACTIVE_KEYS", "check_dim", "check_top_k", "unit_vector", "unit_vectors"]

#: Active (not revoked) access keys one app may hold.
MAX_ACTIVE_KEYS = 2


def check_top_k(top_k: int) -> None:
    """Raises BadTopK unless ``1 <= top_k <= MAX_TOP_K``."""
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadTopK(f"top_k must be between 1 and {MAX_TOP_K}, not {top_k}.")


def unit_vector(vector: npt.NDArray[np.floating] | npt.ArrayLike) -> npt.NDArray[np.float32]:
    """``vector`` as a float32 array of shape (dim,) scaled to unit length, 2 <= dim <= MAX_DIM.

    Raises InvalidRequest for another shape, a non-finite value or the zero vector."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(v)) if 2 <= v.shape[0] <= MAX_DIM and np.all(np.isfinite(v)) else 0.0
    if not norm > 0.0 or not np.isfinite(norm):
        raise InvalidRequest(f"A descriptor must be 2 to {MAX_DIM} finite float32 values, not all zero.")
    out: npt.NDArray[np.float32] = (v / np.float32(norm)).astype(np.float32)
    return out


def unit_vectors(vectors: Sequence[npt.ArrayLike]) -> npt.NDArray[np.float32]:
    """Many descriptors of one dimension at once: a (n, dim) float32 array of unit rows (n may be 0).
    Raises InvalidRequest as :func:`unit_vector` does (and for mixed dimensions), for the whole batch."""
    if not len(vectors):
        return np.empty((0, 0), dtype=np.float32)
    try:
        m = np.stack([np.asarray(v, dtype=np.float32).reshape(-1) for v in vectors])
    except ValueError as exc:
        raise InvalidRequest("The descriptors of one call must all have the same dimension.") from exc
    if not 2 <= m.shape[1] <= MAX_DIM or not np.all(np.isfinite(m)):
        raise InvalidRequest(f"A descriptor must be 2 to {MAX_DIM} finite float32 values.")
    norms = np.linalg.norm(m, axis=1)
    if not np.all(norms > 0) or not np.all(np.isfinite(norms)):
        raise InvalidRequest("A descriptor cannot be the zero vector.")
    out: npt.NDArray[np.float32] = (m / norms[:, None]).astype(np.float32)
    return out


def check_dim(index: VectorIndex, db_id: str, dim: int) -> InvalidRequest | None:
    """The error for descriptors of ``dim`` values in a database whose index holds another dimension."""
    held = index.dim_of(db_id)
    if held is None or held == dim:
        return None
    return InvalidRequest(f"The database holds {held}-value descriptors, not {dim}.")
