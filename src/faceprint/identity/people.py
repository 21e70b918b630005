"""Person-level answers: one probe against every feature of a key, and search hits grouped by key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["KeyGroup", "KeyMatch", "group_by_key", "match_key"]

H = TypeVar("H")


@dataclass(frozen=True, slots=True)
class KeyMatch:
    """A probe against the ``count`` features of one key: the best and the mean cosine, and how many
    features reach ``threshold``."""

    count: int
    best: float
    mean: float
    matched: int


def match_key(probe: npt.ArrayLike, features: npt.ArrayLike, threshold: float) -> KeyMatch:
    """Cosines of the unit ``probe`` (dim,) with each row of unit ``features`` (n >= 1, dim), aggregated.

    The mean cosine is the probe's cosine with the sum of the key's descriptors scaled by 1/n (AWS's "user
    vector" idea, without a stored template): several photos of one person vote together, so it is steadier
    than any single pair, and it is what a decision should rest on."""
    q = np.asarray(probe, dtype=np.float32).reshape(-1)
    m = np.asarray(features, dtype=np.float32)
    if m.ndim != 2 or m.shape[0] == 0 or m.shape[1] != q.shape[0]:
        raise ValueError("features must be a non-empty (n, dim) matrix of the probe's dimension")
    sims = m @ q
    return KeyMatch(int(sims.shape[0]), float(sims.max()), float(sims.mean()), int((sims >= threshold).sum()))


@dataclass(frozen=True, slots=True)
class KeyGroup(Generic[H]):
    """The hits of one key: ``hits`` best first (so ``hits[0]`` is the best), their mean score."""

    key: str
    hits: list[H]
    best: float
    mean: float

    @property
    def matched(self) -> int:
        return len(self.hits)


def group_by_key(
    hits: Sequence[H], key: Callable[[H], str], score: Callable[[H], float], top: int,
) -> list[KeyGroup[H]]:
    """Groups ``hits`` by ``key(hit)``: one group per key, best score first (ties: higher mean, then the
    order of the first hit), at most ``top``. A hit with an empty key is a person of its own."""
    groups: dict[str | int, list[H]] = {}
    for n, h in enumerate(hits):
        k = key(h)
        groups.setdefault(k if k else n, []).append(h)
    out: list[tuple[float, float, int, KeyGroup[H]]] = []
    for order, members in enumerate(groups.values()):
        ranked = sorted(members, key=lambda h: -score(h))
        scores = [score(h) for h in ranked]
        g = KeyGroup(key(ranked[0]), ranked, scores[0], sum(scores) / len(scores))
        out.append((-g.best, -g.mean, order, g))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return [t[3] for t in out[:top]]
