"""The in-memory exact vector index behind 1:N search, shared by every storage backend.

Each feature database (``db_key``) is one contiguous block: float32 unit descriptors, their int8 codes and an
int64 array of row ids. Removal moves the last row into the hole (swap-remove), so a block never holds
tombstones that could hide live rows from a search; an id re-added after removal is simply a new row.

Search is exact: the cosine similarity (dot product of unit vectors, -1..1) of the query with every row,
the ``min_similarity`` filter, then the best ``top_k``. Large blocks are scanned as int8 first and every row
that the proven quantisation bound cannot rule out is re-scored in float32 (see ``_scan``), so results equal
the float32 brute force. Memory for 128-D descriptors: about 750 bytes per row (512 float32 + 128 int8 + 4 step
+ 8 id + the id map).

Each block has the dimension of the first vectors added to it (every recogniser pack has its own; a database
holds one pack's descriptors), so one index serves 128-D and 512-D databases side by side.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

from faceprint.storage._scan import HAVE_SIMD, exact_top, quantize, quantized_top

__all__ = ["DIM", "MAX_DIM", "VectorIndex"]

#: The dimension of the shipped recognisers' descriptors (dlib ResNet, SFace).
DIM = 128
#: The largest descriptor dimension the stores accept.
MAX_DIM = 4096
_MIN_CAPACITY = 64
#: Below this many rows a float32 pass is as fast as the int8 pass plus the re-rank.
_QUANT_MIN_ROWS = 32_768
#: From this many rows on, the int8 scan is split over ``threads``.
_THREAD_MIN_ROWS = 262_144


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
    """One database's rows: ``vecs[:n]``, ``codes[:n]`` and ``ids[:n]`` are live; ``pos`` maps id -> row."""

    __slots__ = ("codes", "dim", "ids", "n", "pos", "rmax", "steps", "vecs")

    def __init__(self, capacity: int, dim: int) -> None:
        capacity = max(capacity, _MIN_CAPACITY)
        self.dim = dim
        self.vecs: npt.NDArray[np.float32] = np.empty((capacity, dim), dtype=np.float32)
        self.codes: npt.NDArray[np.int8] = np.empty((capacity, dim), dtype=np.int8)
        self.steps: npt.NDArray[np.float32] = np.empty(capacity, dtype=np.float32)
        self.ids: npt.NDArray[np.int64] = np.empty(capacity, dtype=np.int64)
        self.n = 0
        self.pos: dict[int, int] = {}
        #: An upper bound of the int8 residual norm of every row ever stored (removals keep it valid).
        self.rmax = 0.0

    def _resize(self, cap: int) -> None:
        vecs = np.empty((cap, self.dim), dtype=np.float32)
        vecs[: self.n] = self.vecs[: self.n]
        codes = np.empty((cap, self.dim), dtype=np.int8)
        codes[: self.n] = self.codes[: self.n]
        steps = np.empty(cap, dtype=np.float32)
        steps[: self.n] = self.steps[: self.n]
        ids = np.empty(cap, dtype=np.int64)
        ids[: self.n] = self.ids[: self.n]
        self.vecs, self.codes, self.steps, self.ids = vecs, codes, steps, ids

    def reserve(self, need: int) -> None:
        cap = self.vecs.shape[0]
        if need > cap:
            self._resize(max(need, cap + cap // 2))

    def _put(self, rows: npt.NDArray[np.intp] | slice, vectors: npt.NDArray[np.float32]) -> None:
        codes, steps, res = quantize(vectors)
        self.rmax = max(self.rmax, float(res.max()))
        self.vecs[rows] = vectors
        self.codes[rows] = codes
        self.steps[rows] = steps

    def add(self, ids: Sequence[int], vectors: npt.NDArray[np.float32]) -> None:
        keys = [int(i) for i in ids]
        pos = self.pos
        if len(set(keys)) == len(keys) and not any(k in pos for k in keys):
            fresh_keys, fresh_vecs = keys, vectors  # the common case (and the bulk load): all new
        else:
            # An id already present is overwritten in place; a repeated new id keeps its last vector.
            fresh: dict[int, int] = {}
            old_rows: list[int] = []
            old_src: list[int] = []
            for j, key in enumerate(keys):
                row = pos.get(key)
                if row is not None:
                    old_rows.append(row)
                    old_src.append(j)
                else:
                    fresh[key] = j
            if old_rows:
                self._put(np.asarray(old_rows, dtype=np.intp), vectors[old_src])
            fresh_keys, fresh_vecs = list(fresh), vectors[list(fresh.values())]
        if not fresh_keys:
            return
        self.reserve(self.n + len(fresh_keys))
        start, end = self.n, self.n + len(fresh_keys)
        self._put(slice(start, end), fresh_vecs)
        self.ids[start:end] = fresh_keys
        pos.update(zip(fresh_keys, range(start, end), strict=True))
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
                self.codes[row] = self.codes[last]
                self.steps[row] = self.steps[last]
                self.ids[row] = moved
                self.pos[moved] = row
            self.n = last
        # Give memory back when a block shrinks a lot.
        if self.vecs.shape[0] > 4 * max(self.n, _MIN_CAPACITY):
            self._resize(max(2 * self.n, _MIN_CAPACITY))


class VectorIndex:
    """Exact cosine search over per-database blocks of unit float32 descriptors. Thread-safe.

    ``db_key`` is any string naming one database (backends use their db_id); ``ids`` are the backend's
    integer row ids, unique within a ``db_key``. A block's dimension is that of its first rows. ``threads``
    (>= 1, default: up to 2 CPU cores) split the scan of blocks of 262,144 rows or more; searches of
    different threads run in parallel.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = max(1, threads if threads is not None else min(2, os.cpu_count() or 1))
        self._blocks: dict[str, _Block] = {}
        #: Capacity hints for blocks not made yet (their dimension is known at the first add).
        self._hints: dict[str, int] = {}
        self._lock = _RWLock()

    def reserve(self, db_key: str, rows: int) -> None:
        """Pre-allocates room for ``rows`` rows in ``db_key`` (an optional hint before a bulk load)."""
        with self._lock.write():
            block = self._blocks.get(db_key)
            if block is None:
                self._hints[db_key] = rows
            else:
                block.reserve(rows)

    def add(self, db_key: str, ids: Sequence[int], vectors: npt.NDArray[np.float32]) -> None:
        """Adds rows ``vectors`` (float32, shape (n, dim), unit norm) under ``ids`` (n integers).

        Re-adding an id that is present replaces its vector. ValueError when ``dim`` is not the block's.
        """
        vecs = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(ids) and vecs.size == 0:
            return
        if vecs.ndim != 2 or not 1 <= vecs.shape[1] <= MAX_DIM:
            raise ValueError(f"vectors must be (n, dim) with 1 <= dim <= {MAX_DIM}, not {vecs.shape}")
        if vecs.shape[0] != len(ids):
            raise ValueError(f"{len(ids)} ids for {vecs.shape[0]} vectors")
        if not np.all(np.isfinite(vecs)):
            raise ValueError("vectors must be finite")
        if not len(ids):
            return
        with self._lock.write():
            block = self._blocks.get(db_key)
            if block is None:
                block = self._blocks[db_key] = _Block(max(len(ids), self._hints.pop(db_key, 0)), vecs.shape[1])
            elif block.dim != vecs.shape[1]:
                raise ValueError(f"{db_key} holds {block.dim}-dimensional vectors, not {vecs.shape[1]}")
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
            self._hints.pop(db_key, None)

    def dim_of(self, db_key: str) -> int | None:
        """The dimension of ``db_key``'s vectors (None before its first row)."""
        with self._lock.read():
            block = self._blocks.get(db_key)
            return None if block is None else block.dim

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

    def nbytes(self) -> int:
        """Bytes held by the arrays of every block (allocated capacity; the id maps are not counted)."""
        with self._lock.read():
            return sum(b.vecs.nbytes + b.codes.nbytes + b.steps.nbytes + b.ids.nbytes for b in self._blocks.values())

    def search(
        self, db_key: str, query: npt.NDArray[np.float32], top_k: int, min_similarity: float
    ) -> list[tuple[int, float]]:
        """The best ``top_k`` (>= 1) rows as ``(id, similarity)``, best first (ties: lower row first), every
        one with ``similarity >= min_similarity`` (the filter applies before top_k). Exact: equal to a float32
        brute force over the block. ``query`` is a unit float32 vector of the block's dimension (ValueError
        otherwise)."""
        if top_k < 1:
            raise ValueError("top_k must be >= 1")
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        with self._lock.read():
            block = self._blocks.get(db_key)
            if block is None or block.n == 0:
                return []
            if block.dim != len(q):
                raise ValueError(f"{db_key} holds {block.dim}-dimensional vectors, the query has {len(q)}")
            n = block.n
            if HAVE_SIMD and n >= _QUANT_MIN_ROWS:
                threads = self.threads if n >= _THREAD_MIN_ROWS else 1
                rows, sims = quantized_top(
                    block.vecs[:n], block.codes[:n], block.steps[:n], block.rmax, q, top_k, min_similarity, threads
                )
            else:
                rows, sims = exact_top(block.vecs[:n], q, top_k, min_similarity)
            ids = block.ids[rows]
        return [(int(i), float(s)) for i, s in zip(ids, sims, strict=True)]
