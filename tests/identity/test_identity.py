"""faceprint.identity on hand-made and synthetic descriptors: exact neighbours, average linkage that does not
chain, deterministic order, the pair metrics, duplicates, key matching and grouping."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.identity import (
    cluster,
    find_duplicates,
    group_by_key,
    match_key,
    neighbour_edges,
    pairwise_precision_recall,
)
from faceprint.identity.cluster import cohesion
from faceprint.identity.synthetic import synthetic_faces


def _unit(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)


def test_neighbour_edges_equal_a_brute_force_over_several_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("faceprint.identity.neighbours._BLOCK_CELLS", 300 * 7)  # 7 rows per block
    v = _unit(np.random.default_rng(1).standard_normal((300, 16)))
    k, t = 3, 0.3
    e = neighbour_edges(v, k, t)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    want: set[tuple[int, int]] = set()
    for i in range(300):
        best = [j for j in np.argsort(-sims[i], kind="stable")[:k] if sims[i, j] >= t]
        want |= {(min(i, j), max(i, j)) for j in best}
    got = set(zip(e.i.tolist(), e.j.tolist(), strict=True))
    assert got == want and len(got) == len(e)
    assert np.all(e.sim[:-1] >= e.sim[1:]) and np.all(e.i < e.j)
    np.testing.assert_allclose(e.sim, sims[e.i, e.j], atol=1e-5)


def test_average_linkage_does_not_chain() -> None:
    """A chain of 12 points where each is close to the next only: single linkage would join them all."""
    angles = np.arange(12) * 0.5  # neighbours at cosine 0.88, two apart at 0.54, three apart at 0.07
    chain = np.stack([np.cos(angles), np.sin(angles), np.zeros(12)], axis=1)
    c = cluster(chain, threshold=0.8)
    assert max(len(g) for g in c.clusters) <= 3
    assert all(coh >= 0.8 for coh in c.cohesion)


def test_synthetic_people_come_back_in_a_deterministic_order() -> None:
    v, labels = synthetic_faces(3000, 300, seed=2)
    seen: list[float] = []
    c = cluster(v, 0.3729, progress=seen.append)
    p, r = pairwise_precision_recall(c.labels(len(v)), labels)
    assert p > 0.99 and r > 0.98, (p, r)
    assert seen[-1] == 1.0 and seen == sorted(seen)
    keys = [(-len(g), g[0]) for g in c.clusters]
    assert keys == sorted(keys) and all(g == sorted(g) for g in c.clusters)
    assert sorted([row for g in c.clusters for row in g] + c.alone) == list(range(len(v)))
    again = cluster(v.copy(), 0.3729)
    assert again.clusters == c.clusters and again.alone == c.alone
    for g, coh in zip(c.clusters, c.cohesion, strict=True):
        sims = v[g] @ v[g].T
        assert coh == pytest.approx((sims.sum() - len(g)) / (len(g) * (len(g) - 1)), abs=1e-5)


def test_a_cancelled_clustering_stops() -> None:
    v, _ = synthetic_faces(500, 50, seed=3)

    def stop(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cluster(v, 0.37, progress=stop)


def test_pairwise_precision_recall_by_hand() -> None:
    # truth: {0,1,2} {3,4}; predicted: {0,1} {2,3,4}
    p, r = pairwise_precision_recall([0, 0, 1, 1, 1], ["a", "a", "a", "b", "b"])
    # predicted pairs: 1 + 3 = 4, of which right: (0,1), (3,4) = 2; true pairs: 3 + 1 = 4
    assert (p, r) == (0.5, 0.5)
    assert pairwise_precision_recall([1, 2, 3], [1, 1, 1]) == (1.0, 0.0)
    assert pairwise_precision_recall([], []) == (1.0, 1.0)
    assert cohesion(np.eye(3, dtype=np.float32)) == pytest.approx(0.0)


def test_duplicates_copies_and_keys() -> None:
    v, labels = synthetic_faces(100, 20, seed=4)
    keys = [f"p{x}" for x in labels]
    v = np.vstack([v, v[:1]])
    keys.append("copy-of-0")
    pairs, found = find_duplicates(v, keys, person_similarity=0.43, photo_similarity=0.99, limit=1000)
    assert found == len(pairs)
    assert pairs[0].kind == "same_photo" and (pairs[0].a, pairs[0].b) == (0, 100)
    for p in pairs[1:]:
        assert p.kind == "same_person" and keys[p.a] != keys[p.b] and p.similarity >= 0.43
    assert find_duplicates(v, keys, 0.43, 0.99, limit=1)[0] == pairs[:1]
    with pytest.raises(ValueError):
        find_duplicates(v, keys[:-1], 0.43, 0.99, limit=5)


def test_match_key_and_group_by_key() -> None:
    m = _unit(np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0]], dtype=np.float32))
    got = match_key(np.array([1, 0, 0], np.float32), m, threshold=0.5)
    assert (got.count, got.matched) == (3, 2)
    assert got.best == pytest.approx(1.0) and got.mean == pytest.approx(0.6)
    hits = [("a", 0.9), ("b", 0.95), ("a", 0.8), ("", 0.7), ("", 0.6), ("c", 0.95)]
    groups = group_by_key(hits, key=lambda h: h[0], score=lambda h: h[1], top=10)
    assert [(g.key, g.matched) for g in groups] == [("b", 1), ("c", 1), ("a", 2), ("", 1), ("", 1)]
    assert groups[2].mean == pytest.approx(0.85) and groups[2].hits[0] == ("a", 0.9)
    assert len(group_by_key(hits, key=lambda h: h[0], score=lambda h: h[1], top=2)) == 2
