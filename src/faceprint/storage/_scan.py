"""Exact top-k selection over unit descriptors, with an int8 first pass whose error is bounded.

The int8 pass scans 128 bytes per row instead of 512 (the scan is memory-bound: ~23 GB/s here), then every
row that could still belong to the exact answer is re-scored in float32. "Could" is decided by a proven bound,
not a heuristic shortlist size, so the answer equals the float32 brute force.

The bound: a unit vector x is stored as int8 codes c_x = round(x / d_x) with its own step d_x = max|x_i| / 127
(so nothing clips) and residual r_x = x - d_x c_x; the query likewise. Then
``x.q = d_x d_q c_x.c_q + d_x c_x.r_q + r_x.q`` so ``|x.q - approx| <= (1 + R) |r_q| + R`` where R bounds |r_x|
over the block (at most 0.5 sqrt(128) d_x; about 0.01 for face descriptors).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import numpy as np
import numpy.typing as npt

_simsimd: Any
try:  # SIMD int8 dot products (AVX-512 VNNI / AVX2); without it the float32 BLAS path is used.
    _simsimd = importlib.import_module("simsimd")
except ImportError:  # pragma: no cover - exercised only where simsimd is not installed
    _simsimd = None

__all__ = ["HAVE_SIMD", "dot_rows", "exact_top", "quantize", "quantized_top"]

log = logging.getLogger(__name__)

HAVE_SIMD: bool = _simsimd is not None
_QUANT_PIECE = 2048
#: Slack for float32 rounding in the bound comparisons (similarity units).
_SLACK = 1e-4

F32 = npt.NDArray[np.float32]
Rows = npt.NDArray[np.intp]


def quantize(vectors: F32) -> tuple[npt.NDArray[np.int8], F32, F32]:
    """Per-row int8 codes of ``vectors`` (n, dim): ``(codes, steps, residual_norms)`` with
    ``vectors ~ steps[:, None] * codes`` and ``residual_norms`` = |vectors - steps[:, None] * codes| per row."""
    n = vectors.shape[0]
    codes = np.empty(vectors.shape, dtype=np.int8)
    steps = np.empty(n, dtype=np.float32)
    norms = np.empty(n, dtype=np.float32)
    for s in range(0, n, _QUANT_PIECE):  # pieces that stay in cache through the passes below
        v = vectors[s : s + _QUANT_PIECE]
        peak = np.abs(v).max(axis=1)
        step = (np.where(peak > 0, peak, 1.0) / np.float32(127.0)).astype(np.float32)
        scaled = v / step[:, None]
        np.rint(scaled, out=scaled)  # |scaled| <= 127 by the choice of step: nothing to clip
        codes[s : s + _QUANT_PIECE] = scaled
        scaled *= step[:, None]
        np.subtract(v, scaled, out=scaled)
        steps[s : s + _QUANT_PIECE] = step
        norms[s : s + _QUANT_PIECE] = np.sqrt(np.einsum("ij,ij->i", scaled, scaled))
    return codes, steps, norms


def dot_rows(vecs: F32, query: F32) -> F32:
    """``vecs @ query`` for float32 rows. simsimd's single-threaded SIMD kernel when available: BLAS gemv
    hands even small products to its thread pool, whose hand-offs cost milliseconds on a busy machine."""
    if _simsimd is None or vecs.shape[0] == 0:
        out: F32 = vecs @ query
        return out
    res = _simsimd.cdist(query.reshape(1, -1), vecs, metric="dot", out_dtype="float32")
    return np.asarray(res, dtype=np.float32).reshape(vecs.shape[0])


def _kth_largest(a: F32, k: int) -> float:
    """The k-th largest value of ``a`` (1 <= k <= len(a)) without partitioning all of it."""
    n = a.shape[0]
    m = max(n // 16, 4 * k)
    sub = a
    if m < n:
        # The k-th largest of a prefix is a lower bound of the k-th largest overall, so every one of the k
        # largest survives this filter, and the partition runs over a few rows instead of all of them.
        bound = np.partition(a[:m], m - k)[m - k]
        sub = a[a >= bound]
    return float(np.partition(sub, sub.shape[0] - k)[sub.shape[0] - k])


def _order(rows: Rows, scores: F32, top_k: int) -> tuple[Rows, F32]:
    """The best ``top_k`` of (rows, scores), best first, ties by row."""
    if rows.shape[0] > top_k:
        part = np.argpartition(-scores, top_k - 1)[:top_k]
        rows, scores = rows[part], scores[part]
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def exact_top(vecs: F32, query: F32, top_k: int, min_similarity: float) -> tuple[Rows, F32]:
    """Float32 brute force: rows and similarities of the best ``top_k`` with similarity >= min_similarity."""
    n = vecs.shape[0]
    scores = dot_rows(vecs, query)
    thr = np.float32(min_similarity)
    if n > 4 * top_k and n > 4096:
        thr = max(thr, np.float32(_kth_largest(scores, top_k)))
    rows = np.flatnonzero(scores >= thr)
    return _order(rows, scores[rows], top_k)


def quantized_top(
    vecs: F32,
    codes: npt.NDArray[np.int8],
    steps: F32,
    rmax: float,
    query: F32,
    top_k: int,
    min_similarity: float,
    threads: int = 1,
) -> tuple[Rows, F32]:
    """Same answer as :func:`exact_top`, scanning the int8 ``codes`` first (needs simsimd).

    ``codes`` and ``steps`` come from :func:`quantize`; ``rmax`` must bound the residual norm of every row;
    ``threads`` (>= 1) split the scan.
    """
    if _simsimd is None:
        return exact_top(vecs, query, top_k, min_similarity)
    n = vecs.shape[0]
    qc, qstep, qres = quantize(query.reshape(1, -1))
    eps = (1.0 + rmax) * float(qres[0]) + rmax + _SLACK
    approx = np.asarray(
        _simsimd.cdist(qc, codes, metric="dot", out_dtype="float32", threads=threads), dtype=np.float32
    ).reshape(n)
    approx *= steps
    approx *= qstep[0]
    low = min_similarity - eps
    if n > top_k:
        # k rows have true similarity >= kth - eps, so a row of the exact top-k has approx >= kth - 2 eps.
        low = max(low, _kth_largest(approx, top_k) - 2.0 * eps)
    cand = np.flatnonzero(approx >= np.float32(low))
    if cand.shape[0] > n // 4:
        # The bound is too loose for this data; gathering most rows costs more than one dense pass.
        log.debug("int8 pass kept %d of %d rows; using the float32 scan", cand.shape[0], n)
        return exact_top(vecs, query, top_k, min_similarity)
    scores = dot_rows(vecs[cand], query)
    keep = scores >= np.float32(min_similarity)
    return _order(cand[keep], scores[keep], top_k)
