"""``faceprint cluster | duplicates | verify | job`` and ``search --by-key`` against the real app on a
loopback port, with the real engine and real photos."""

from __future__ import annotations

from pathlib import Path

from faceprint.client import Client
from tests.cli.conftest import Cli
from tests.client._apps import DAMON_2, PHOTOS, Tenant, ThreadedServer


def _people_db(server: ThreadedServer, tenant: Tenant, faces_dir: Path) -> str:
    with Client(server.endpoint, tenant.app_id, tenant.access_key, tenant.secret) as fp:
        db = fp.create_database("people", 20)
        items = [(faces_dir / f, key) for key, f in PHOTOS.items()]
        items += [(faces_dir / DAMON_2, "damon"), (faces_dir / PHOTOS["obama"], "obama-again")]
        assert all(s.ok for s in fp.add_features(db.db_id, items).results)
        return db.db_id


def test_cluster_duplicates_verify_and_search_by_key(
    cli: Cli, face_server: tuple[ThreadedServer, Tenant], faces_dir: Path,
) -> None:
    db_id = _people_db(*face_server, faces_dir)
    r = cli("cluster", db_id, "--json")
    assert r.rc == 0, r.err
    clusters = r.json()["cluster"]["clusters"]
    assert sorted(sorted(c["keys"]) for c in clusters) == [["damon"], ["obama", "obama-again"]]
    r = cli("cluster", db_id, "--progress")
    assert r.rc == 0 and "2 people (clusters of 2 or more), 4 alone" in r.out, r.out
    assert "[" in r.err and "cluster done" in r.err  # the progress bar went to stderr
    r = cli("duplicates", db_id)
    assert r.rc == 0 and "same_photo" in r.out and "obama-again" in r.out, r.out
    r = cli("duplicates", db_id, "--no-wait", "--json")
    assert r.rc == 0, r.err
    job_id = r.json()["job_id"]
    r = cli("job", "get", job_id, "--wait", "--json")
    assert r.rc == 0 and r.json()["status"] == "done" and r.json()["duplicates"]["found"] >= 1
    assert cli("job", "delete", job_id).rc == 0
    assert cli("job", "get", job_id).rc == 4  # not found
    r = cli("verify", faces_dir / DAMON_2, "--db", db_id, "--key", "damon")
    assert r.rc == 0 and r.out.startswith("same person: score"), r.out
    r = cli("verify", faces_dir / DAMON_2, "--db", db_id, "--key", "jolie", "--json")
    assert r.rc == 0 and r.json()["same_person"] is False
    r = cli("search", faces_dir / DAMON_2, "--db", db_id, "--by-key", "--top-k", "2")
    assert r.rc == 0 and "1. key damon" in r.out and "2 features" in r.out, r.out
    assert cli("cluster", db_id, "--threshold", "7").rc == 3  # invalid argument
    assert cli("verify", faces_dir / DAMON_2, "--db", db_id, "--key", "nobody").rc == 4
