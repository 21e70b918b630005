"""Clustering descriptors into people: exact neighbours, then average linkage along the neighbour graph.

1. :func:`~faceprint.identity.neighbours.neighbour_edges`: every descriptor's ``k`` most similar others at or
   above the threshold ``t`` (exact, in blocks: no all-pairs matrix is held).
2. Average linkage (UPGMA) restricted to that graph: repeatedly merge the two clusters with the highest
   *mean* pairwise cosine, while it is >= ``t``. The mean over every pair of two clusters is exact and costs
   one dot product: for unit vectors, ``mean(A x B) = sum(A) . sum(B) / (|A| |B|)``. Only clusters joined by
   an edge are candidates: two clusters without one have every pair below ``t`` (up to the ``k`` cap), so
   their mean is below ``t`` too.

Average linkage, unlike a union of all edges >= ``t`` (single linkage), does not chain: at a false-accept rate
of 1e-3 a database of 100,000 faces holds about 100 false pairs >= ``t`` per face, enough to join everyone
into one cluster by single linkage, but far too few to lift a whole cluster's mean.

The merge loop uses a max-heap of candidate pairs with lazy updates: after ``A`` and ``B`` merge, the mean of
``A u B`` with any ``X`` lies between those of ``A`` and ``B`` with ``X``, so an old heap entry is an upper bound
and is re-scored when it comes to the top. Deterministic for the same input (same order of rows).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faceprint.identity.neighbours import Progress, _unit, neighbour_edges

__all__ = ["DEFAULT_K", "Clustering", "cluster", "cohesion"]

#: Neighbours kept per descriptor: more than the photos most people have in one database.
DEFAULT_K = 32
#: The share of the progress reported for the neighbour search (the merge loop takes the rest).
_SEARCH_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Clustering:
    """``clusters``: the groups of two or more rows (row indices, ascending), largest first, ties by smallest
    row; ``cohesion[c]``: the mean pairwise cosine inside ``clusters[c]``; ``alone``: rows in no group
    (ascending); ``edges``: how many neighbour pairs were considered."""

    clusters: list[list[int]]
    cohesion: list[float]
    alone: list[int]
    edges: int

    def labels(self, n: int) -> npt.NDArray[np.int64]:
        """A cluster number per row (the ``alone`` rows get numbers of their own)."""
        out = np.full(n, -1, dtype=np.int64)
        for c, members in enumerate(self.clusters):
            out[members] = c
        out[out < 0] = np.arange(len(self.clusters), len(self.clusters) + int((out < 0).sum()))
        return out


def cohesion(vectors: npt.NDArray[np.float32]) -> float:
    """The mean pairwise cosine of unit ``vectors`` (>= 2 rows), from their sum: (|s|^2 - n) / (n (n - 1))."""
    n = vectors.shape[0]
    s = vectors.astype(np.float64).sum(axis=0)
    return float((s @ s - n) / (n * (n - 1)))


def cluster(
    vectors: npt.ArrayLike, threshold: float, k: int = DEFAULT_K, progress: Progress | None = None,
) -> Clustering:
    """Groups the rows of ``vectors`` (n, dim) whose clusters' mean pairwise cosine is >= ``threshold``.

    ``k``: neighbours per row considered (>= 1). ``progress``: called with the fraction done; it may raise
    to stop the work."""
    v = _unit(vectors)
    n = v.shape[0]
    search_progress = None if progress is None else (lambda f: progress(_SEARCH_SHARE * f))
    edges = neighbour_edges(v, k, threshold, search_progress)
    parent = list(range(n))
    size = [1] * n
    version = [0] * n
    sums = v.astype(np.float64)

    def find(a: int) -> int:
        root = a
        while parent[root] != root:
            root = parent[root]
        while parent[a] != root:
            parent[a], a = root, parent[a]
        return root

    # Entries: (-mean, a, b, version of a, version of b); singleton means are the edges' cosines.
    heap = [(-float(s), int(a), int(b), 0, 0) for a, b, s in zip(edges.i, edges.j, edges.sim, strict=True)]
    heapq.heapify(heap)
    queued: set[tuple[int, int, int, int]] = set()
    total = max(len(heap), 1)
    popped = 0
    while heap:
        neg, a, b, va, vb = heapq.heappop(heap)
        popped += 1
        if progress is not None and popped % 65536 == 0:
            progress(_SEARCH_SHARE + (1 - _SEARCH_SHARE) * min(1.0, popped / (2 * total)))
        if -neg < threshold:
            break
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if ra > rb:
            ra, rb = rb, ra
            va, vb = vb, va
        if (ra, rb) != (a, b) or version[ra] != va or version[rb] != vb:
            state = (ra, rb, version[ra], version[rb])
            if state in queued:
                continue
            mean = float(sums[ra] @ sums[rb]) / (size[ra] * size[rb])
            if mean >= threshold:
                queued.add(state)
                heapq.heappush(heap, (-mean, ra, rb, version[ra], version[rb]))
            continue
        # A fresh best pair: merge the smaller root into the larger (ties: into the lower row).
        keep, gone = (ra, rb) if size[ra] >= size[rb] else (rb, ra)
        parent[gone] = keep
        size[keep] += size[gone]
        sums[keep] += sums[gone]
        version[keep] += 1
    groups: dict[int, list[int]] = {}
    for row in range(n):
        groups.setdefault(find(row), []).append(row)
    multi = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
    alone = sorted(g[0] for g in groups.values() if len(g) == 1)
    if progress is not None:
        progress(1.0)
    return Clustering(multi, [cohesion(v[g]) for g in multi], alone, len(edges))
