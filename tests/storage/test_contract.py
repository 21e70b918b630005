"""The one contract every FeatureStore backend must honour (the ``store`` fixture runs it on each).

Descriptors are 128-D unit vectors (and 512-D where a test says so): seeded random ones plus near-duplicates
(a small perturbation of a base vector, as two photos of one face give). Search answers are checked against
a float32 numpy brute force.
"""

from __future__ import annotations

import threading
import uuid

import numpy as np
import numpy.typing as npt
import pytest

from faceprint.errors import (
    AccessKeyNotFound,
    AppNotFound,
    BadTopK,
    DatabaseFull,
    DatabaseNotFound,
    FeatureNotFound,
    InvalidRequest,
    ModelVersionMismatch,
    QuotaExceeded,
    TooManyKeys,
)
from faceprint.storage.base import MAX_TOP_K, AppUsage, Database, Feature, FeatureStore, Hit, NewFeature

MV = "dlib-resnet-v1"
F32 = npt.NDArray[np.float32]


def unit(a: npt.ArrayLike) -> F32:
    v = np.asarray(a, dtype=np.float32)
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def random_units(n: int, seed: int) -> F32:
    return unit(np.random.default_rng(seed).standard_normal((n, 128)))


def near(v: F32, noise: float, seed: int) -> F32:
    return unit(v + noise * np.random.default_rng(seed).standard_normal(128).astype(np.float32))


def add_ok(
    store: FeatureStore, app_id: str, db_id: str, vecs: F32, key: str = "", model_version: str = MV
) -> list[Feature]:
    out: list[Feature] = []
    for start in range(0, len(vecs), 1000):
        chunk = vecs[start : start + 1000]
        items = [NewFeature(v, key=key, extra_info=f"#{start + i}") for i, v in enumerate(chunk)]
        res = store.add_features(app_id, db_id, items, model_version)
        assert all(isinstance(r, Feature) for r in res), [r for r in res if not isinstance(r, Feature)][:3]
        out.extend(r for r in res if isinstance(r, Feature))
    return out


def hits(
    store: FeatureStore, app_id: str, db_ids: list[str], q: F32, top_k: int = 10, min_sim: float = -1.0,
    mv: str = MV,
) -> list[list[Hit]]:
    out: list[list[Hit]] = []
    for r in store.search(app_id, db_ids, q, top_k, min_sim, mv):
        assert isinstance(r, list), r
        out.append(r)
    return out


def brute(vecs: F32, q: F32, top_k: int, min_sim: float) -> list[tuple[int, float]]:
    s = vecs @ q
    order = np.argsort(-s, kind="stable")
    return [(int(i), float(s[i])) for i in order[:top_k] if s[i] >= min_sim]


def assert_exact(got: list[Hit], ids: list[str], vecs: F32, q: F32, top_k: int, min_sim: float) -> None:
    """``got`` is the exact answer over (ids, vecs), up to the order of near-ties (float32 rounding)."""
    want = brute(vecs, q, top_k, min_sim)
    assert len(got) == len(want)
    sim_of = dict(zip(ids, (vecs @ q).tolist(), strict=True))
    got_sims = [h.similarity for h in got]
    assert got_sims == sorted(got_sims, reverse=True)
    for h in got:
        assert h.similarity == pytest.approx(sim_of[h.feature.feature_id], abs=1e-5)
        assert h.similarity >= min_sim
    np.testing.assert_allclose(got_sims, [s for _, s in want], atol=1e-5)
    if want:
        clear = {ids[i] for i, s in want if s > want[-1][1] + 1e-5}
        assert clear <= {h.feature.feature_id for h in got}


@pytest.fixture
def app(store: FeatureStore) -> str:
    return store.create_app("acme", quota=1_000_000).app_id


def new_db(store: FeatureStore, app_id: str, max_size: int = 10_000, mv: str = MV) -> Database:
    return store.create_database(app_id, "people", "test db", max_size, mv)


# -- apps and keys -----------------------------------------------------------------------------


def test_apps(store: FeatureStore) -> None:
    a = store.create_app("one", quota=10)
    b = store.create_app("two", quota=20, app_id="0f4a5a8e-7d1c-4f25-9d8e-a4b0e5c3d2f1")
    assert b.app_id == "0f4a5a8e-7d1c-4f25-9d8e-a4b0e5c3d2f1"
    assert a.app_id != b.app_id
    assert store.get_app(a.app_id) == a
    assert store.get_app(b.app_id).quota == 20
    assert [x.app_id for x in store.list_apps()] == [a.app_id, b.app_id]
    with pytest.raises(AppNotFound):
        store.get_app("no-such-app")
    with pytest.raises(InvalidRequest):
        store.create_app("dup", quota=1, app_id=b.app_id)


def test_keys(store: FeatureStore, app: str) -> None:
    k1 = store.add_key(app, "key-1", b"\x00sealed-1\xff")
    assert k1.active and k1.app_id == app and k1.sealed_secret == b"\x00sealed-1\xff"
    store.add_key(app, "key-2", b"sealed-2")
    with pytest.raises(TooManyKeys):
        store.add_key(app, "key-3", b"sealed-3")
    store.revoke_key("key-1")
    got = store.get_key("key-1")
    assert got is not None and not got.active and got.revoked_at is not None
    assert got.sealed_secret == b"\x00sealed-1\xff"
    store.add_key(app, "key-3", b"sealed-3")  # the revocation freed a slot
    assert [k.access_key for k in store.list_keys(app)] == ["key-1", "key-2", "key-3"]
    assert store.get_key("nope") is None
    with pytest.raises(AccessKeyNotFound):
        store.revoke_key("nope")
    with pytest.raises(AppNotFound):
        store.add_key("no-such-app", "key-9", b"x")
    other = store.create_app("other", quota=1).app_id
    assert store.list_keys(other) == []


# -- databases and quotas ----------------------------------------------------------------------


def test_databases(store: FeatureStore, app: str) -> None:
    d1 = store.create_database(app, "first", "desc one", 100, MV)
    d2 = store.create_database(app, "second", "", 50, "other-model")
    assert (d1.name, d1.description, d1.max_size, d1.size, d1.model_version) == ("first", "desc one", 100, 0, MV)
    assert d1.db_id != d2.db_id and d1.app_id == app
    assert store.get_database(app, d1.db_id) == d1
    assert [d.db_id for d in store.list_databases(app)] == [d1.db_id, d2.db_id]
    store.delete_database(app, d1.db_id)
    assert [d.db_id for d in store.list_databases(app)] == [d2.db_id]
    with pytest.raises(DatabaseNotFound):
        store.get_database(app, d1.db_id)
    with pytest.raises(DatabaseNotFound):
        store.delete_database(app, d1.db_id)
    with pytest.raises(AppNotFound):
        store.create_database("no-such-app", "x", "", 1, MV)


def test_quota_reserved_at_creation_and_freed_by_delete(store: FeatureStore) -> None:
    app = store.create_app("small", quota=1000).app_id
    big = store.create_database(app, "a", "", 600, MV)
    with pytest.raises(QuotaExceeded):
        store.create_database(app, "b", "", 401, MV)
    store.create_database(app, "c", "", 400, MV)  # exactly what is left
    with pytest.raises(QuotaExceeded):
        store.create_database(app, "d", "", 1, MV)
    assert store.app_usage(app) == AppUsage(databases=2, reserved=1000)
    store.delete_database(app, big.db_id)
    assert store.app_usage(app) == AppUsage(databases=1, reserved=400)
    store.create_database(app, "e", "", 600, MV)
    other = store.create_app("other", quota=5).app_id  # another app's quota is its own
    store.create_database(other, "f", "", 5, MV)
    assert store.app_usage(other) == AppUsage(1, 5) and store.app_usage("no-such-app") == AppUsage(0, 0)


def test_app_and_database_ids_are_dashed_uuid4_in_every_backend(store: FeatureStore) -> None:
    app = store.create_app("ids", quota=10).app_id
    db = store.create_database(app, "a", "", 1, MV).db_id
    for ident in (app, db):
        assert str(uuid.UUID(ident)) == ident and uuid.UUID(ident).version == 4


def test_database_full_per_item(store: FeatureStore, app: str) -> None:
    db = new_db(store, app, max_size=3)
    vecs = random_units(5, seed=1)
    res = store.add_features(app, db.db_id, [NewFeature(v, key=f"k{i}") for i, v in enumerate(vecs)], MV)
    assert [type(r) for r in res] == [Feature, Feature, Feature, DatabaseFull, DatabaseFull]
    assert [r.key for r in res if isinstance(r, Feature)] == ["k0", "k1", "k2"]
    assert store.get_database(app, db.db_id).size == 3
    first = res[0]
    assert isinstance(first, Feature)
    store.delete_feature(app, db.db_id, first.feature_id)
    assert store.get_database(app, db.db_id).size == 2
    again = store.add_features(app, db.db_id, [NewFeature(vecs[3]), NewFeature(vecs[4])], MV)
    assert [type(r) for r in again] == [Feature, DatabaseFull]
    assert store.get_database(app, db.db_id).size == 3


# -- features ----------------------------------------------------------------------------------


def test_feature_crud(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    v = random_units(1, seed=2)[0]
    (f,) = store.add_features(app, db.db_id, [NewFeature(v, key="alice", extra_info="e1")], MV)
    assert isinstance(f, Feature)
    assert (f.db_id, f.key, f.extra_info, f.model_version) == (db.db_id, "alice", "e1", MV)
    assert store.get_feature(app, db.db_id, f.feature_id) == f
    g = store.update_extra_info(app, db.db_id, f.feature_id, "x" * 1024)
    assert (g.feature_id, g.key, g.extra_info) == (f.feature_id, "alice", "x" * 1024)
    assert store.get_feature(app, db.db_id, f.feature_id).extra_info == "x" * 1024
    (h,) = hits(store, app, [db.db_id], v, top_k=1)
    assert h[0].feature.extra_info == "x" * 1024
    store.delete_feature(app, db.db_id, f.feature_id)
    with pytest.raises(FeatureNotFound):
        store.get_feature(app, db.db_id, f.feature_id)
    with pytest.raises(FeatureNotFound):
        store.delete_feature(app, db.db_id, f.feature_id)
    with pytest.raises(FeatureNotFound):
        store.update_extra_info(app, db.db_id, f.feature_id, "y")
    with pytest.raises(FeatureNotFound):
        store.get_feature(app, db.db_id, "not-a-feature-id")
    assert store.get_database(app, db.db_id).size == 0
    assert hits(store, app, [db.db_id], v) == [[]]


def test_feature_of_another_database_is_not_found(store: FeatureStore, app: str) -> None:
    a, b = new_db(store, app), new_db(store, app)
    (f,) = add_ok(store, app, a.db_id, random_units(1, seed=3))
    with pytest.raises(FeatureNotFound):
        store.get_feature(app, b.db_id, f.feature_id)
    with pytest.raises(FeatureNotFound):
        store.delete_feature(app, b.db_id, f.feature_id)
    with pytest.raises(FeatureNotFound):
        store.update_extra_info(app, b.db_id, f.feature_id, "z")
    assert store.get_feature(app, a.db_id, f.feature_id) == f


def test_same_image_twice_gives_two_features_and_keys_are_not_unique(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    v = random_units(1, seed=4)[0]
    f1, f2 = add_ok(store, app, db.db_id, np.stack([v, v]), key="same-key")
    assert f1.feature_id != f2.feature_id and f1.key == f2.key == "same-key"
    (h,) = hits(store, app, [db.db_id], v, top_k=5)
    assert {x.feature.feature_id for x in h} == {f1.feature_id, f2.feature_id}
    assert all(x.similarity == pytest.approx(1.0, abs=1e-5) for x in h)


def test_feature_ids_are_never_reused(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    seen: set[str] = set()
    vecs = random_units(30, seed=5)
    for round_ in range(3):
        fs = add_ok(store, app, db.db_id, vecs[round_ * 10 : round_ * 10 + 10])
        ids = {f.feature_id for f in fs}
        assert len(ids) == 10 and not ids & seen
        seen |= ids
        for f in fs:
            store.delete_feature(app, db.db_id, f.feature_id)
    store.delete_database(app, db.db_id)
    db2 = new_db(store, app)
    assert not {f.feature_id for f in add_ok(store, app, db2.db_id, vecs[:10])} & seen


def test_tenant_isolation(store: FeatureStore) -> None:
    a = store.create_app("a", quota=100).app_id
    b = store.create_app("b", quota=100).app_id
    db = store.create_database(a, "a-db", "", 10, MV)
    v = random_units(1, seed=6)[0]
    (f,) = add_ok(store, a, db.db_id, v[None])
    with pytest.raises(DatabaseNotFound):
        store.get_database(b, db.db_id)
    with pytest.raises(DatabaseNotFound):
        store.delete_database(b, db.db_id)
    with pytest.raises(DatabaseNotFound):
        store.add_features(b, db.db_id, [NewFeature(v)], MV)
    with pytest.raises(DatabaseNotFound):
        store.get_feature(b, db.db_id, f.feature_id)
    with pytest.raises(DatabaseNotFound):
        store.delete_feature(b, db.db_id, f.feature_id)
    with pytest.raises(DatabaseNotFound):
        store.update_extra_info(b, db.db_id, f.feature_id, "hijack")
    (slot,) = store.search(b, [db.db_id], v, 10, -1.0, MV)
    assert isinstance(slot, DatabaseNotFound)
    assert store.list_databases(b) == []
    assert store.get_feature(a, db.db_id, f.feature_id) == f  # nothing of A changed
    assert store.get_database(a, db.db_id).size == 1


def test_model_version_separation(store: FeatureStore, app: str) -> None:
    old = new_db(store, app, mv="model-v1")
    new = new_db(store, app, mv="model-v2")
    v = random_units(1, seed=7)[0]
    with pytest.raises(ModelVersionMismatch):
        store.add_features(app, old.db_id, [NewFeature(v)], "model-v2")
    assert store.get_database(app, old.db_id).size == 0
    (f,) = add_ok(store, app, new.db_id, v[None], model_version="model-v2")
    assert f.model_version == "model-v2"
    r_old, r_new = store.search(app, [old.db_id, new.db_id], v, 10, -1.0, "model-v2")
    assert isinstance(r_old, ModelVersionMismatch)
    assert isinstance(r_new, list) and [h.feature.feature_id for h in r_new] == [f.feature_id]


def test_invalid_vectors_are_refused(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    for bad in (np.zeros(128, np.float32), np.ones(1, np.float32), np.ones(4097, np.float32),
                np.full(128, np.nan, np.float32)):
        with pytest.raises(InvalidRequest):
            store.add_features(app, db.db_id, [NewFeature(bad)], MV)
    with pytest.raises(InvalidRequest):  # one call, two dimensions
        store.add_features(app, db.db_id, [NewFeature(np.ones(128, np.float32)), NewFeature(np.ones(127, np.float32))],
                           MV)
    assert store.get_database(app, db.db_id).size == 0
    add_ok(store, app, db.db_id, random_units(1, seed=3))
    with pytest.raises(InvalidRequest):  # a database holds one dimension
        store.add_features(app, db.db_id, [NewFeature(np.ones(127, np.float32))], MV)
    assert store.get_database(app, db.db_id).size == 1


def test_descriptors_of_another_dimension_live_beside_128(store: FeatureStore, app: str) -> None:
    """A user's recogniser may give 512 values: such a database is searched exactly, next to a 128-D one."""
    small, big = new_db(store, app), store.create_database(app, "arcface", "", 1000, "user-arcface:c1")
    rng = np.random.default_rng(5)
    vecs = rng.normal(size=(50, 512)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = [f.feature_id for f in add_ok(store, app, big.db_id, vecs, model_version="user-arcface:c1")]
    add_ok(store, app, small.db_id, random_units(5, seed=6))
    (got,) = hits(store, app, [big.db_id], vecs[7], 3, -1.0, "user-arcface:c1")
    assert got[0].feature.feature_id == ids[7] and got[0].similarity == pytest.approx(1.0, abs=1e-5)
    (wrong,) = store.search(app, [big.db_id], vecs[7][:128], 3, -1.0, "user-arcface:c1")
    assert isinstance(wrong, InvalidRequest)


# -- search ------------------------------------------------------------------------------------


def test_search_is_exact_with_min_similarity_before_top_k(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    base = random_units(300, seed=8)
    # 300 identities, each with 4 more near-duplicates at growing distances.
    copies = [np.stack([near(b, 0.03 * (j + 1), 100 * i + j) for i, b in enumerate(base)]) for j in range(4)]
    vecs = np.concatenate([base, *copies])
    ids = [f.feature_id for f in add_ok(store, app, db.db_id, vecs)]
    for qi in (0, 17, 299):
        q = near(base[qi], 0.02, 999 + qi)
        for top_k, min_sim in ((1, -1.0), (10, -1.0), (3, 0.0), (100, 0.3), (MAX_TOP_K, -1.0), (10, 0.999)):
            (got,) = hits(store, app, [db.db_id], q, top_k, min_sim)
            assert_exact(got, ids, vecs, q, top_k, min_sim)
        # min_similarity applies before top_k: with top_k 1000 only the copies of this face pass 0.8.
        (tight,) = hits(store, app, [db.db_id], q, MAX_TOP_K, 0.8)
        assert {ids[qi + 300 * j] for j in range(2)} <= {h.feature.feature_id for h in tight}
        assert 2 <= len(tight) <= 5 and all(h.similarity >= 0.8 for h in tight)
        assert hits(store, app, [db.db_id], q, 10, 1.01) == [[]]


def test_search_top_k_bounds(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    q = random_units(1, seed=9)[0]
    for bad in (0, -1, MAX_TOP_K + 1):
        with pytest.raises(BadTopK):
            store.search(app, [db.db_id], q, bad, 0.0, MV)


def test_search_many_databases_one_list_each(store: FeatureStore, app: str) -> None:
    d1, d2, empty = new_db(store, app), new_db(store, app), new_db(store, app)
    v1, v2 = random_units(2, seed=10)
    (f1,) = add_ok(store, app, d1.db_id, v1[None])
    (f2,) = add_ok(store, app, d2.db_id, v2[None])
    deleted = new_db(store, app)
    store.delete_database(app, deleted.db_id)
    order = [d2.db_id, "no-such-db", d1.db_id, empty.db_id, deleted.db_id, d2.db_id]
    r0, r1, r2, r3, r4, r5 = store.search(app, order, v1, 5, -1.0, MV)
    assert isinstance(r0, list) and [h.feature.feature_id for h in r0] == [f2.feature_id]
    assert isinstance(r1, DatabaseNotFound) and isinstance(r4, DatabaseNotFound)
    assert isinstance(r2, list) and [h.feature for h in r2] == [f1]
    assert r2[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert r3 == []
    assert isinstance(r5, list) and [h.feature for h in r5] == [h.feature for h in r0]


def test_delete_database_removes_its_features(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    vecs = random_units(50, seed=11)
    fs = add_ok(store, app, db.db_id, vecs)
    store.delete_database(app, db.db_id)
    (r,) = store.search(app, [db.db_id], vecs[0], 10, -1.0, MV)
    assert isinstance(r, DatabaseNotFound)
    with pytest.raises(DatabaseNotFound):
        store.get_feature(app, db.db_id, fs[0].feature_id)
    again = new_db(store, app)
    assert hits(store, app, [again.db_id], vecs[0]) == [[]]


def test_concurrent_adds_and_searches(store: FeatureStore, app: str) -> None:
    db = new_db(store, app, max_size=400)
    vecs = random_units(400, seed=12)
    errors: list[BaseException] = []
    added: list[Feature] = []
    lock = threading.Lock()

    def writer(part: int) -> None:
        try:
            for i in range(part * 100, part * 100 + 100, 10):
                fs = add_ok(store, app, db.db_id, vecs[i : i + 10])
                with lock:
                    added.extend(fs)
                store.search(app, [db.db_id], vecs[i], 5, 0.0, MV)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(p,)) for p in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({f.feature_id for f in added}) == 400
    assert store.get_database(app, db.db_id).size == 400
    assert isinstance(store.add_features(app, db.db_id, [NewFeature(vecs[0])], MV)[0], DatabaseFull)
    for i in (0, 123, 399):
        (h,) = hits(store, app, [db.db_id], vecs[i], top_k=1)
        assert h[0].similarity == pytest.approx(1.0, abs=1e-5)


def test_churn_keeps_every_live_copy_visible(store: FeatureStore, app: str) -> None:
    """The original service's bug: after one image was added and deleted many times, searches missed live
    copies (tombstones hid them) or returned deleted ones. Here: 100,000 features in a database of max_size
    200,000; the same face added and deleted 20 times, interleaved with searches."""
    db = new_db(store, app, max_size=200_000)
    side = new_db(store, app, max_size=1000)
    background = random_units(100_000, seed=13)
    fs = add_ok(store, app, db.db_id, background)
    assert store.get_database(app, db.db_id).size == 100_000
    face = random_units(1, seed=14)[0]
    live: dict[str, F32] = {}
    deleted: set[str] = set()
    side_live = {f.feature_id for f in add_ok(store, app, side.db_id, np.stack([face, near(face, 0.01, 1)]))}
    gone_rows = [r * 4999 for r in range(20)]
    for round_ in range(20):
        copy = near(face, 0.005, round_) if round_ % 5 == 4 else face  # kept copies differ a little
        (f,) = add_ok(store, app, db.db_id, copy[None])
        (h,) = hits(store, app, [db.db_id], face, top_k=30, min_sim=0.9)
        assert f.feature_id in {x.feature.feature_id for x in h}
        if round_ % 5 == 4:
            live[f.feature_id] = copy  # every fifth copy stays
        else:
            store.delete_feature(app, db.db_id, f.feature_id)
            deleted.add(f.feature_id)
        (h,) = hits(store, app, [db.db_id], face, top_k=30, min_sim=0.9)
        got = {x.feature.feature_id for x in h}
        assert got == set(live), (round_, got ^ set(live))
        # A background feature, deleted, must vanish from the search that found it before.
        gone = fs[gone_rows[round_]]
        store.delete_feature(app, db.db_id, gone.feature_id)
        deleted.add(gone.feature_id)
        (h,) = hits(store, app, [db.db_id], background[gone_rows[round_]], top_k=5)
        assert gone.feature_id not in {x.feature.feature_id for x in h}
    assert len(live) == 4
    assert store.get_database(app, db.db_id).size == 100_000 - 20 + 4
    for q in (face, near(face, 0.02, 77)):
        (one,) = hits(store, app, [db.db_id], q, top_k=10)
        both_main, both_side = hits(store, app, [db.db_id, side.db_id], q, top_k=10)
        for got_hits in (one, both_main):
            ids = [x.feature.feature_id for x in got_hits]
            assert set(ids[:4]) == set(live) and not set(ids) & deleted
        assert {x.feature.feature_id for x in both_side[:2]} == side_live
    # Exact over the whole churned database: the same answer as a brute force over what is live.
    keep = np.ones(len(fs), bool)
    keep[gone_rows] = False
    live_vecs = np.concatenate([background[keep], np.stack(list(live.values()))])
    live_ids = [f.feature_id for f, k in zip(fs, keep, strict=True) if k] + list(live)
    for qi in (5, 50_001, 99_999):
        for q in (near(background[qi], 0.05, qi), near(face, 0.3, qi)):
            for top_k in (10, 1000):
                (got,) = hits(store, app, [db.db_id], q, top_k=top_k)
                assert_exact(got, live_ids, live_vecs, q, top_k, -1.0)


# -- bulk export (clustering, verification against a key) -----------------------------------------


def test_export_features_oldest_first_with_keys_and_descriptors(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    empty = store.export_features(app, db.db_id)
    assert len(empty) == 0 and empty.vectors.shape[0] == 0
    vecs = random_units(7, seed=11)
    first = add_ok(store, app, db.db_id, vecs[:4], key="alice")
    second = add_ok(store, app, db.db_id, vecs[4:], key="bob")
    store.delete_feature(app, db.db_id, first[1].feature_id)
    m = store.export_features(app, db.db_id)
    live = [first[0], first[2], first[3], *second]
    assert m.feature_ids == [f.feature_id for f in live]
    assert m.keys == ["alice"] * 3 + ["bob"] * 3
    np.testing.assert_allclose(m.vectors, vecs[[0, 2, 3, 4, 5, 6]], atol=1e-6)
    bob = store.export_features(app, db.db_id, key="bob")
    assert bob.feature_ids == [f.feature_id for f in second] and bob.vectors.shape == (3, 128)
    assert len(store.export_features(app, db.db_id, key="nobody")) == 0


def test_export_features_is_per_app(store: FeatureStore, app: str) -> None:
    db = new_db(store, app)
    add_ok(store, app, db.db_id, random_units(2, seed=12))
    other = store.create_app("other", quota=10).app_id
    with pytest.raises(DatabaseNotFound):
        store.export_features(other, db.db_id)
    with pytest.raises(DatabaseNotFound):
        store.export_features(app, str(uuid.uuid4()))
