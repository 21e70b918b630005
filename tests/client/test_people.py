"""The SDK's person-level calls (sync and async) against the real app: clustering with progress, jobs,
duplicates (synthetic descriptors, no models), and verification and person search on real photos."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from faceprint import errors as fe
from faceprint.client import AsyncClient, Client, ClusterResult, Job
from faceprint.identity.synthetic import synthetic_faces
from faceprint.storage.base import FeatureStore, NewFeature
from tests.client._apps import DAMON_2, PHOTOS, Tenant
from tests.client.conftest import ENDPOINT


def _fill(fp: Client, store: FeatureStore, n: int, people: int) -> tuple[str, list[int]]:
    db = fp.create_database("synthetic", n + 5)
    vecs, labels = synthetic_faces(n, people, seed=21)
    store.add_features(fp.app_id, db.db_id, [NewFeature(v, key=f"p{lab}") for v, lab in zip(vecs, labels, strict=True)],
                       db.model_version)
    return db.db_id, labels.tolist()


def test_cluster_waits_for_the_job_and_reports_progress(fp: Client, store: FeatureStore) -> None:
    db_id, _ = _fill(fp, store, 400, 40)
    seen: list[Job] = []
    out = fp.cluster(db_id, progress=seen.append)
    assert isinstance(out, ClusterResult) and out.features == 400 and out.threshold == 0.955
    assert seen and seen[-1].done and seen[-1].progress == 1.0
    assert sum(c.size for c in out.clusters) + len(out.alone) == 400
    assert [c.size for c in out.clusters] == sorted((c.size for c in out.clusters), reverse=True)
    # keys were the identities here: nearly every cluster is one key
    pure = sum(len(c.keys) == 1 for c in out.clusters)
    assert pure >= 0.95 * len(out.clusters) and len(out.clusters) >= 35


def test_jobs_by_hand_and_their_errors(fp: Client, store: FeatureStore) -> None:
    db_id, _ = _fill(fp, store, 200, 20)
    job = fp.start_cluster(db_id, threshold=0.97)
    polled = fp.wait_job(job)
    assert polled.job_id == job.job_id and polled.cluster is not None and polled.cluster.threshold == 0.97
    assert fp.get_job(job.job_id).status == "done"
    assert fp.delete_job(job.job_id).job_id == job.job_id
    with pytest.raises(fe.JobNotFound):
        fp.get_job(job.job_id)
    with pytest.raises(fe.BadThreshold):
        fp.start_cluster(db_id, threshold=2.0)
    dup = fp.find_duplicates(db_id, threshold=0.99, limit=5)
    assert dup.features == 200 and len(dup.pairs) <= 5


def test_verify_and_person_search_on_photos(ffp: Client, faces_dir: Path) -> None:
    db = ffp.create_database("people", 20)
    items = [(faces_dir / f, key) for key, f in PHOTOS.items()] + [(faces_dir / PHOTOS["damon"], "damon")]
    assert all(s.ok for s in ffp.add_features(db.db_id, items).results)
    v = ffp.verify(faces_dir / DAMON_2, db.db_id, "damon")
    assert v.same_person and v.features == 2 and v.best_score >= v.score >= 0.955 and v.face is not None
    assert not ffp.verify(faces_dir / DAMON_2, db.db_id, "obama").same_person
    with pytest.raises(fe.KeyNotFound):
        ffp.verify(faces_dir / DAMON_2, db.db_id, "nobody")
    r = ffp.search(faces_dir / DAMON_2, db.db_id, top_k=2, group_by_key=True)
    (batch,) = r.batches
    assert batch.persons[0].key == "damon" and batch.persons[0].matched == 2
    assert len(batch.persons) == 2 and batch.features[0].feature.key == "damon"
    assert ffp.search(faces_dir / DAMON_2, db.db_id).batches[0].persons == []


@pytest.mark.anyio
async def test_async_client_clusters_and_verifies(full_app: FastAPI, tenant: Tenant, faces_dir: Path) -> None:
    async with AsyncClient(ENDPOINT, tenant.app_id, tenant.access_key, tenant.secret,
                           transport=httpx.ASGITransport(app=full_app)) as fp:
        db = await fp.create_database("people", 10)
        items = [(faces_dir / PHOTOS["damon"], "damon"), (faces_dir / DAMON_2, "damon-2"),
                 (faces_dir / PHOTOS["obama"], "obama")]
        await fp.add_features(db.db_id, items)
        out = await fp.cluster(db.db_id)
        assert [sorted(c.keys) for c in out.clusters] == [["damon", "damon-2"]]
        assert [m.key for m in out.alone] == ["obama"]
        dup = await fp.find_duplicates(db.db_id)
        assert [(p.kind, {p.a.key, p.b.key}) for p in dup.pairs] == [("same_person", {"damon", "damon-2"})]
        v = await fp.verify(faces_dir / DAMON_2, db.db_id, "damon")
        assert v.same_person
        job = await fp.start_cluster(db.db_id, wait_s=10)
        assert (await fp.get_job(job.job_id)).done
        await fp.delete_job(job.job_id)
        with pytest.raises(fe.JobNotFound):
            await fp.get_job(job.job_id)
