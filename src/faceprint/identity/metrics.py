"""How well a clustering matches the truth, counted over pairs of items.

Pairwise precision: of the pairs put in one cluster, the share that are one identity (purity). Pairwise
recall: of the pairs of one identity, the share put in one cluster (completeness). Both from the contingency
table, without listing pairs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["pairwise_precision_recall"]


def _pairs(counts: Any) -> int:
    c = np.asarray(counts, dtype=np.int64)
    return int((c * (c - 1) // 2).sum())


def pairwise_precision_recall(predicted: Sequence[Any], truth: Sequence[Any]) -> tuple[float, float]:
    """``(precision, recall)`` of the labels ``predicted`` against ``truth`` (one label per item; an item
    alone in its predicted cluster pairs with nobody). 1.0 where there are no pairs to count."""
    if len(predicted) != len(truth):
        raise ValueError("one predicted and one true label per item")
    _, p = np.unique(np.asarray(predicted, dtype=object).astype(str), return_inverse=True)
    _, t = np.unique(np.asarray(truth, dtype=object).astype(str), return_inverse=True)
    joint = p.astype(np.int64) * (int(t.max(initial=0)) + 1) + t
    same_both = _pairs(np.unique(joint, return_counts=True)[1])
    same_pred = _pairs(np.bincount(p)) if len(p) else 0
    same_true = _pairs(np.bincount(t)) if len(t) else 0
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_true if same_true else 1.0
    return precision, recall
