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
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert cred["secret_key"] in out and cred["app_id"] in out and str(port) in out
