"""Exact nearest neighbours of every descriptor of a set, above a similarity floor, in row blocks.

The similarity matrix is never held whole: rows are taken ``block`` at a time (a block x n float32 piece,
about 32 MB), every pair at or above ``min_similarity`` is kept, and of those each row keeps its best
``k``. The answer is the undirected edge list (each pair once, ``i < j``), the union of the rows' lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Edges", "Progress", "neighbour_edges"]

#: Called with the fraction done (0..1); it may raise to stop the work (a cancelled job).
Progress = Callable[[float], None]

#: float32 cells per block of the similarity matrix (32 MB).
_BLOCK_CELLS = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Edges:
    """Undirected neighbour pairs ``(i[e], j[e])`` with ``i < j`` and their cosine ``sim[e]``, sorted by
    similarity (highest first), ties by ``(i, j)``."""

    i: npt.NDArray[np.int64]
    j: npt.NDArray[np.int64]
    sim: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return int(self.i.shape[0])


def _unit(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError(f"descriptors must be an (n, dim) matrix, not {v.shape}")
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    if v.shape[0] and (not np.all(np.isfinite(v)) or np.any(norms == 0)):
        raise ValueError("descriptors must be finite and non-zero")
    out: npt.NDArray[np.float32] = (v / np.where(norms > 0, norms, 1.0)).astype(np.float32, copy=False)
    return out


def neighbour_edges(
    vectors: npt.ArrayLike, k: int, min_similarity: float, progress: Progress | None = None,
) -> Edges:
    """The ``k`` (>= 1) most similar other rows of every row with cosine >= ``min_similarity``, as undirected
    edges. ``vectors``: (n, dim) descriptors (scaled to unit length here). Exact: a float32 brute force
    in blocks, O(n^2 dim) time and O(n k) memory."""
    if k < 1:
        raise ValueError("k must be >= 1")
    v = _unit(vectors)
    n = v.shape[0]
    block = max(1, min(n, _BLOCK_CELLS // max(n, 1)))
    thr = np.float32(min_similarity)
    rows_out: list[npt.NDArray[np.int64]] = []
    cols_out: list[npt.NDArray[np.int64]] = []
    sims_out: list[npt.NDArray[np.float32]] = []
    for start in range(0, n, block):
        end = min(n, start + block)
        sims = v[start:end] @ v.T
        sims[np.arange(end - start), np.arange(start, end)] = -np.inf  # no self-edges
        r, c = np.nonzero(sims >= thr)
        s = sims[r, c]
        if r.shape[0]:
            # Per row, best first (ties by column), then keep each row's first k.
            order = np.lexsort((c, -s, r))
            r, c, s = r[order], c[order], s[order]
            first = np.searchsorted(r, r, side="left")
            keep = (np.arange(r.shape[0]) - first) < k
            rows_out.append(r[keep].astype(np.int64) + start)
            cols_out.append(c[keep].astype(np.int64))
            sims_out.append(s[keep].astype(np.float32))
        if progress is not None:
            progress(end / n)
    if not rows_out:
        empty = np.empty(0, np.int64)
        return Edges(empty, empty.copy(), np.empty(0, np.float32))
    r_all = np.concatenate(rows_out)
    c_all = np.concatenate(cols_out)
    s_all = np.concatenate(sims_out)
    lo, hi = np.minimum(r_all, c_all), np.maximum(r_all, c_all)
    pair = lo * n + hi
    pair, first = np.unique(pair, return_index=True)
    lo, hi, s_all = pair // n, pair % n, s_all[first]
    order = np.lexsort((hi, lo, -s_all))
    return Edges(lo[order], hi[order], s_all[order])
