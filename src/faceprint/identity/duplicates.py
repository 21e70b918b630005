"""Duplicates in a database: the same photo enrolled twice, and the same person under different keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy.typing as npt

from faceprint.identity.neighbours import Progress, _unit, neighbour_edges

__all__ = ["SAME_PERSON", "SAME_PHOTO", "DuplicatePair", "find_duplicates"]

#: Near-identical descriptors: the same photo (or a re-encoded copy of it) enrolled twice.
SAME_PHOTO = "same_photo"
#: Two features of different keys that match at the same-person threshold.
SAME_PERSON = "same_person"


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Rows ``a < b``, their cosine and the kind (:data:`SAME_PHOTO` or :data:`SAME_PERSON`)."""

    a: int
    b: int
    similarity: float
    kind: str


def find_duplicates(
    vectors: npt.ArrayLike, keys: Sequence[str], person_similarity: float, photo_similarity: float,
    limit: int, k: int = 16, progress: Progress | None = None,
) -> tuple[list[DuplicatePair], int]:
    """Pairs with cosine >= ``photo_similarity`` (same photo, whatever the keys), and pairs of two different
    non-empty keys with cosine >= ``person_similarity`` (same person); among each row's ``k`` best neighbours.

    Answers the best ``limit`` pairs (highest similarity first, ties by rows) and how many were found."""
    v = _unit(vectors)
    if len(keys) != v.shape[0]:
        raise ValueError("one key per descriptor")
    edges = neighbour_edges(v, k, min(person_similarity, photo_similarity), progress)
    out: list[DuplicatePair] = []
    for a, b, s in zip(edges.i.tolist(), edges.j.tolist(), edges.sim.tolist(), strict=True):
        if s >= photo_similarity:
            out.append(DuplicatePair(a, b, s, SAME_PHOTO))
        elif s >= person_similarity and keys[a] and keys[b] and keys[a] != keys[b]:
            out.append(DuplicatePair(a, b, s, SAME_PERSON))
    return out[:limit], len(out)
