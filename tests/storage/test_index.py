"""VectorIndex: exact answers (the int8 first pass included), swap-remove compaction, thread safety."""

from __future__ import annotations

import logging
import threading

import numpy as np
import numpy.typing as npt
import pytest

from faceprint.storage import _scan
from faceprint.storage.index import VectorIndex

F32 = npt.NDArray[np.float32]


def unit(a: npt.ArrayLike) -> F32:
    v = np.asarray(a, dtype=np.float32)
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def clustered(n: int, seed: int, per_identity: int = 5, spread: float = 0.5) -> F32:
    """Face-like descriptors: identities with a few noisy copies each (copies ~0.9 cosine apart)."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.standard_normal((n // per_identity + 1, 128)))
    noise = rng.standard_normal((n, 128)).astype(np.float32) * (spread / np.sqrt(128))
    return unit(centres[np.arange(n) // per_identity] + noise)


def brute(ids: list[int], vecs: F32, q: F32, top_k: int, min_sim: float) -> list[tuple[int, float]]:
    s = vecs @ q
    order = np.argsort(-s, kind="stable")[:top_k]
    return [(ids[i], float(s[i])) for i in order if s[i] >= min_sim]


def same(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    """Equal up to the order of near-ties."""
    assert len(got) == len(want)
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
    if want:
        clear = {i for i, s in want if s > want[-1][1] + 1e-5}
        assert clear <= {i for i, _ in got}


@pytest.mark.parametrize("n", [1000, 60_000])
def test_exact_on_clustered_descriptors(n: int) -> None:
    """60,000 rows take the int8 first pass: its answers must equal the float32 brute force (recall@10 = 1)."""
    vecs = clustered(n, seed=1)
    ids = list(range(10_000, 10_000 + n))
    ix = VectorIndex()
    for s in range(0, n, 7000):
        ix.add("db", ids[s : s + 7000], vecs[s : s + 7000])
    assert ix.count("db") == n
    rng = np.random.default_rng(2)
    recall_hits = 0
    for _ in range(25):
        q = unit(vecs[rng.integers(n)] + 0.3 / np.sqrt(128) * rng.standard_normal(128))
        for top_k, min_sim in ((10, -1.0), (1, -1.0), (1000, -1.0), (50, 0.5), (10, 0.95)):
            got = ix.search("db", q, top_k, min_sim)
            want = brute(ids, vecs, q, top_k, min_sim)
            same(got, want)
            assert all(s >= min_sim for _, s in got)
            if top_k == 10 and min_sim < 0:
                recall_hits += len({i for i, _ in got} & {i for i, _ in want})
    assert recall_hits / (25 * 10) >= 0.99


def test_random_adds_and_removes_match_a_reference() -> None:
    rng = np.random.default_rng(3)
    pool = clustered(50_000, seed=4)
    ix = VectorIndex()
    live: dict[int, int] = {}  # id -> row of pool
    next_id = 0
    for step in range(40):
        k = int(rng.integers(500, 3000))
        rows = rng.integers(0, len(pool), k)
        new_ids = list(range(next_id, next_id + k))
        next_id += k
        ix.add("db", new_ids, pool[rows])
        live.update(zip(new_ids, rows.tolist(), strict=True))
        victims = rng.choice(list(live), size=min(len(live), int(rng.integers(0, 2500))), replace=False).tolist()
        ix.remove("db", [*victims, -1, 10**12])  # unknown ids are ignored
        for v in victims:
            del live[v]
        assert ix.count("db") == len(live)
        if step % 8 == 7:
            ids = list(live)
            vecs = pool[[live[i] for i in ids]]
            q = unit(pool[rng.integers(len(pool))] + 0.01 * rng.standard_normal(128))
            same(ix.search("db", q, 20, -1.0), brute(ids, vecs, q, 20, -1.0))
            for v in victims[:50]:
                assert ("db", v) not in ix
    assert ("db", next(iter(live))) in ix


def test_readding_an_id_replaces_its_vector_and_databases_are_separate() -> None:
    a, b = unit(np.eye(128, dtype=np.float32)[:2])
    ix = VectorIndex()
    ix.add("one", [7], a[None])
    ix.add("two", [7], b[None])
    assert ix.search("one", a, 5, -1.0) == [(7, pytest.approx(1.0))]
    ix.add("one", [7], b[None])
    assert ix.count("one") == 1
    assert ix.search("one", a, 5, -1.0) == [(7, pytest.approx(0.0, abs=1e-6))]
    ix.drop("one")
    assert ix.count("one") == 0 and ix.search("one", a, 5, -1.0) == []
    assert ix.search("two", b, 5, -1.0) == [(7, pytest.approx(1.0))]
    assert ix.search("nowhere", b, 5, -1.0) == []
    with pytest.raises(ValueError):
        ix.search("two", b, 0, -1.0)
    with pytest.raises(ValueError):
        ix.add("two", [1, 2], a[None])


def test_shrinking_gives_memory_back_and_stays_exact() -> None:
    vecs = clustered(40_000, seed=5)
    ix = VectorIndex()
    ix.add("db", list(range(40_000)), vecs)
    before = ix.nbytes()
    ix.remove("db", list(range(1000, 40_000)))
    assert ix.nbytes() < before / 4
    q = vecs[10]
    same(ix.search("db", q, 10, -1.0), brute(list(range(1000)), vecs[:1000], q, 10, -1.0))


def test_quantised_pass_is_exact_even_for_adversarial_near_ties(caplog: pytest.LogCaptureFixture) -> None:
    """Similarities spread densely (40,000 rows over 0.3..0.9), so hundreds of rows lie within the int8 error of
    the k-th score: the bound must keep every one that could belong, without giving up on the int8 pass."""
    caplog.set_level(logging.DEBUG, logger="faceprint.storage._scan")
    rng = np.random.default_rng(6)
    q = unit(rng.standard_normal(128))
    base = clustered(40_000, seed=7)
    ortho = unit(base - np.outer(base @ q, q))
    sims = rng.uniform(0.3, 0.9, 40_000).astype(np.float32)
    vecs = unit(sims[:, None] * q + np.sqrt(1 - sims[:, None] ** 2) * ortho)
    codes, steps, res = _scan.quantize(vecs)
    rows, got = _scan.quantized_top(vecs, codes, steps, float(res.max()), q, 10, -1.0)
    ids = list(range(40_000))
    same(list(zip(rows.tolist(), got.tolist(), strict=True)), brute(ids, vecs, q, 10, -1.0))
    for top_k, min_sim in ((1000, -1.0), (100, 0.85)):
        rows, got = _scan.quantized_top(vecs, codes, steps, float(res.max()), q, top_k, min_sim)
        same(list(zip(rows.tolist(), got.tolist(), strict=True)), brute(ids, vecs, q, top_k, min_sim))
    assert "float32 scan" not in caplog.text


def test_concurrent_readers_and_writers() -> None:
    vecs = clustered(40_000, seed=8)
    ix = VectorIndex()
    ix.add("db", list(range(20_000)), vecs[:20_000])
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for i in range(60):
                got = ix.search("db", vecs[i], 5, 0.99)
                assert got and got[0][0] == i  # rows 0..59 are never removed
        except BaseException as e:  # reported below
            errors.append(e)

    def writer() -> None:
        try:
            for s in range(20_000, 40_000, 2000):
                ix.add("db", list(range(s, s + 2000)), vecs[s : s + 2000])
                ix.remove("db", list(range(s - 1000, s)))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=f) for f in (reader, reader, writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert ix.count("db") == 40_000 - 10_000
