"""`faceprint apps|keys` on the embedded store, and `faceprint serve` as a real subprocess."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from faceprint.cli.main import main
from faceprint.signing import sign_request

pytest.importorskip("faceprint.storage.factory", reason="the embedded store is not in this checkout yet")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    return rc, capsys.readouterr().out


def test_apps_and_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "data")
    rc, out = _run(capsys, "apps", "create", "--name", "shop", "--quota", "500", "--json", "--data-dir", d)
    assert rc == 0
    cred = json.loads(out)
    assert set(cred) == {"app_id", "access_key", "secret_key"} and len(cred["secret_key"]) == 32
    rc, out = _run(capsys, "apps", "list", "--data-dir", d)
    assert rc == 0 and cred["app_id"] in out and "quota=500" in out and "active_keys=1" in out
    rc, out = _run(capsys, "keys", "create", "--app", cred["app_id"], "--json", "--data-dir", d)
    second = json.loads(out)
    assert rc == 0 and second["access_key"] != cred["access_key"]
    rc, _ = _run(capsys, "keys", "create", "--app", cred["app_id"], "--data-dir", d)
    assert rc == 1  # TooManyKeys: two active at once at most
    rc, out = _run(capsys, "keys", "list", "--app", cred["app_id"], "--data-dir", d)
    assert out.count("active") == 2 and cred["secret_key"] not in out
    rc, out = _run(capsys, "keys", "revoke", cred["access_key"], "--data-dir", d)
    assert rc == 0
    rc, out = _run(capsys, "keys", "list", "--app", cred["app_id"], "--data-dir", d)
    assert "revoked" in out
    rc, _ = _run(capsys, "keys", "revoke", "00000000-0000-0000-0000-000000000000", "--data-dir", d)
    assert rc == 1
    # no plain secret at rest
    for p in (tmp_path / "data").rglob("*"):
        if p.is_file():
            assert cred["secret_key"].encode() not in p.read_bytes(), p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_subprocess(tmp_path: Path, model_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FACEPRINT_DATA_DIR": str(tmp_path), "FACEPRINT_PORT": str(port),
           "FACEPRINT_MODEL_DIR": str(model_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "faceprint.cli.main", "serve"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "serve not ready"
            time.sleep(0.3)
        creds_path = tmp_path / "credentials.json"
        assert stat.S_IMODE(creds_path.stat().st_mode) == 0o600
        cred = json.loads(creds_path.read_text())
        path = f"/openapi/face/v1/{cred['app_id']}/databases"
        r = httpx.get(base + path, headers=sign_request(cred["access_key"], cred["secret_key"], "GET", path))
        assert r.status_code == 200 and r.json()["databases"] == []
        assert httpx.get(base + path).status_code == 401
        # a second tenant, made with the CLI while the service runs, signs in at once
        made = subprocess.run([sys.executable, "-m", "faceprint.cli.main", "apps", "create", "--name", "late",
                               "--json"], env=env, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        late = json.loads(made.stdout)
        path2 = f"/openapi/face/v1/{late['app_id']}/databases"
        r = httpx.get(base + path2, headers=sign_request(late["access_key"], late["secret_key"], "GET", path2))
        assert r.status_code == 200, r.text
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert cred["secret_key"] in out and cred["app_id"] in out and str(port) in out


def test_tenant_store_beside_the_owner(tmp_path: Path) -> None:
    """What `apps`/`keys` open beside a running service: no lock, no index, apps and keys only."""
    from faceprint.errors import StoreLocked
    from faceprint.storage.base import AppUsage, FeatureStore, NewFeature, TenantStore
    from faceprint.storage.sqlite_store import SqliteStore
    from faceprint.storage.sqlite_tenants import SqliteTenantStore

    path = tmp_path / "faceprint.db"
    owner = SqliteStore(path)  # as `faceprint serve` holds it
    try:
        app = owner.create_app("a", 100)
        db = owner.create_database(app.app_id, "d", "", 10, "v1")
        vec = np.ones(128, np.float32)
        owner.add_features(app.app_id, db.db_id, [NewFeature(vec, "k", "")], "v1")
        with pytest.raises(StoreLocked):
            SqliteStore(path)
        side = SqliteTenantStore(path)
        try:
            assert isinstance(side, TenantStore) and not isinstance(side, FeatureStore)
            second = side.create_app("b", 50)
            side.add_key(second.app_id, "ak-b", b"sealed")
            assert [a.name for a in side.list_apps()] == ["a", "b"]
            assert side.app_usage(app.app_id) == AppUsage(databases=1, reserved=10)
        finally:
            side.close()
        # the owner sees the new key at once and its own data is untouched
        key = owner.get_key("ak-b")
        assert key is not None and key.app_id == second.app_id and key.active
        (hits,) = owner.search(app.app_id, [db.db_id], vec, 1, 0.0, "v1")
        assert isinstance(hits, list) and hits[0].feature.key == "k"
    finally:
        owner.close()
