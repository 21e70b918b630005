"""The in-memory exact vector index behind 1:N search, shared by every storage backend.

Each feature database (``db_key``) is one contiguous float32 block of unit descriptors plus an int64 array
of row ids. Removal moves the last row into the hole (swap-remove), so a block never holds tombstones that
could hide live rows from a search; an id re-added after removal is simply a new row.

Search is exact: the cosine similarity (dot product of unit vectors, -1..1) of the query with every row,
the ``min_similarity`` filter, then the best ``top_k``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

__all__ = ["DIM", "VectorIndex"]

#: Descriptor dimension.
DIM = 128
_MIN_CAPACITY = 64


class _RWLock:
    """Many readers or one writer; writers are preferred so a stream of searches cannot starve adds."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class _Block:
    """One database's rows: ``vecs[:n]`` and ``ids[:n]`` are live, ``pos`` maps id -> row."""

    __slots__ = ("ids", "n", "pos", "vecs")

    def __init__(self, capacity: int) -> None:
        capacity = max(capacity, _MIN_CAPACITY)
        self.vecs: npt.NDArray[np.float32] = np.empty((capacity, DIM), dtype=np.float32)
        self.ids: npt.NDArray[np.int64] = np.empty(capacity, dtype=np.int64)
        self.n = 0
        self.pos: dict[int, int] = {}

    def reserve(self, need: int) -> None:
        cap = self.vecs.shape[0]
        if need <= cap:
            return
        new_cap = max(need, cap + cap // 2)
        vecs = np.empty((new_cap, DIM), dtype=np.float32)
        vecs[: self.n] = self.vecs[: self.n]
        ids = np.empty(new_cap, dtype=np.int64)
        ids[: self.n] = self.ids[: self.n]
        self.vecs, self.ids = vecs, ids

    def add(self, ids: Sequence[int], vectors: npt.NDArray[np.float32]) -> None:
        # An id already present is overwritten in place rather than duplicated.
        fresh: list[int] = []
        fresh_rows: list[int] = []
        for j, i in enumerate(ids):
            row = self.pos.get(int(i))
            if row is None:
                fresh.append(int(i))
                fresh_rows.append(j)
            else:
                self.vecs[row] = vectors[j]
        if not fresh:
            return
        self.reserve(self.n + len(fresh))
        start, end = self.n, self.n + len(fresh)
        self.vecs[start:end] = vectors[fresh_rows]
        self.ids[start:end] = fresh
        for k, i in enumerate(fresh):
            self.pos[i] = start + k
        self.n = end

    def remove(self, ids: Sequence[int]) -> None:
        for i in ids:
            row = self.pos.pop(int(i), None)
            if row is None:
                continue
            last = self.n - 1
            if row != last:
                moved = int(self.ids[last])
                self.vecs[row] = self.vecs[last]
                self.ids[row] = moved
                self.pos[moved] = row
            self.n = last
        # Give memory back when a block shrinks a lot.
        if self.vecs.shape[0] > 4 * max(self.n, _MIN_CAPACITY):
            cap = max(2 * self.n, _MIN_CAPACITY)
            self.vecs = self.vecs[:cap].copy()
            self.ids = self.ids[:cap].copy()


def _top(scores: npt.NDArray[np.float32], top_k: int, min_similarity: float) -> npt.NDArray[np.intp]:
    """Row indices of the best ``top_k`` scores that are >= min_similarity, best first (ties by row)."""
    n = scores.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.intp)
    if n > 4 * top_k and n > 4096:
        # A lower bound on the true k-th best score: the k-th best of a sample. Filtering on it keeps every
        # true top-k row while argpartition then runs over a few rows instead of all of them.
        sample = scores[: max(n // 16, 4 * top_k)]
        bound = float(np.partition(sample, sample.shape[0] - top_k)[sample.shape[0] - top_k])
        thr = max(bound, min_similarity)
        cand = np.flatnonzero(scores >= np.float32(thr))
    else:
        cand = np.flatnonzero(scores >= np.float32(min_similarity)) if min_similarity > -1.0 else np.arange(n)
    if cand.shape[0] > top_k:
        part = np.argpartition(-scores[cand], top_k - 1)[:top_k]
        cand = cand[part]
    order = np.lexsort((cand, -scores[cand]))
    out: npt.NDArray[np.intp] = cand[order]
    return out


class VectorIndex:
    """Exact cosine search over per-database blocks of unit float32 descriptors. Thread-safe.

    ``db_key`` is any string naming one database (backends use their db_id); ``ids`` are the backend's
    integer row ids, unique within a ``db_key``.
    """

    def __init__(self, dim: int = DIM) -> None:
        if dim != DIM:
            raise ValueError(f"only {DIM}-dimensional descriptors are supported, not {dim}")
        self.dim = dim
        self._blocks: dict[str, _Block] = {}
        self._lock = _RWLock()

    def add(self, db_key: str, ids: Sequence[int], vectors: npt.NDArray[np.float32]) -> None:
        """Adds rows ``vectors`` (float32, shape (n, 128), unit norm) under ``ids`` (n integers).

        Re-adding an id that is present replaces its vector.
        """
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if vecs.shape[0] != len(ids):
            raise ValueError(f"{len(ids)} ids for {vecs.shape[0]} vectors")
        if not len(ids):
            return
        with self._lock.write():
            block = self._blocks.get(db_key)
            if block is None:
                block = self._blocks[db_key] = _Block(len(ids))
            block.add(ids, vecs)

    def remove(self, db_key: str, ids: Sequence[int]) -> None:
        """Removes rows by id; ids that are absent are ignored."""
        with self._lock.write():
            block = self._blocks.get(db_key)
            if block is not None:
                block.remove(ids)

    def drop(self, db_key: str) -> None:
        """Forgets a whole database (no error if it is unknown)."""
        with self._lock.write():
            self._blocks.pop(db_key, None)

    def count(self, db_key: str) -> int:
        """Rows held for ``db_key`` (0 if unknown)."""
        with self._lock.read():
            block = self._blocks.get(db_key)
            return 0 if block is None else block.n

    def __contains__(self, item: tuple[str, int]) -> bool:
        db_key, row_id = item
        with self._lock.read():
            block = self._blocks.get(db_key)
            return block is not None and int(row_id) in block.pos

    def search(
        self, db_key: str, query: npt.NDArray[np.float32], top_k: int, min_similarity: float
    ) -> list[tuple[int, float]]:
        """The best ``top_k`` (>= 1) rows as ``(id, similarity)``, best first, every one with
        ``similarity >= min_similarity`` (the filter applies before top_k). Exact."""
        if top_k < 1:
            raise ValueError("top_k must be >= 1")
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(self.dim)
        with self._lock.read():
            block = self._blocks.get(db_key)
            if block is None or block.n == 0:
                return []
            scores = block.vecs[: block.n] @ q
            rows = _top(scores, top_k, min_similarity)
            ids = block.ids[rows]
            sims = scores[rows]
        return [(int(i), float(s)) for i, s in zip(ids, sims, strict=True)]
