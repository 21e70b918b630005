"""End to end: `faceprint serve` as a real server process, and the guide's folder quickstart run with the
`faceprint` command line as separate processes, reading the credentials file the server wrote."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client._apps import PHOTOS

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path, model_dir: Path) -> Iterator[tuple[Path, dict[str, str], dict[str, str]]]:
    """`faceprint serve` on a free loopback port over a data dir in tmp_path; yields (data dir, the CLI's
    environment, the credentials the server wrote)."""
    pytest.importorskip("faceprint.storage.factory", reason="the embedded store is not in this checkout yet")
    port = _free_port()
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEPRINT_")}
    env.update(FACEPRINT_MODEL_DIR=str(model_dir), FACEPRINT_INFERENCE_THREADS="2",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"))
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "faceprint.cli.main", "serve", "--port", str(port), "--data-dir", str(data)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    try:
        creds_file = data / "credentials.json"
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"faceprint serve exited with {proc.returncode}:\n"
                            f"{(tmp_path / 'serve.log').read_text()[-3000:]}")
            try:
                if creds_file.is_file() and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("faceprint serve did not come up within 180 s")
            time.sleep(0.25)
        assert creds_file.stat().st_mode & 0o077 == 0
        creds = json.loads(creds_file.read_text())
        yield data, {**env, "FACEPRINT_PROFILE": str(creds_file)}, creds
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def faceprint(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "faceprint.cli.main", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_folder_quickstart_against_a_served_process(served: tuple[Path, dict[str, str], dict[str, str]],
                                                    faces_dir: Path, tmp_path: Path) -> None:
    _, env, creds = served
    assert creds["endpoint"].startswith("http://127.0.0.1:")
    folder = tmp_path / "photos"
    folder.mkdir()
    for key, file in PHOTOS.items():
        shutil.copyfile(faces_dir / file, folder / f"{key}{Path(file).suffix}")

    made = faceprint(env, "db", "create", "foo", "--max-size", "1000", "--json")
    assert made.returncode == 0, made.stderr
    db = json.loads(made.stdout)["db_id"]
    assert db in faceprint(env, "db", "list").stdout

    added = faceprint(env, "features", "add", db, folder, "--key-from", "filename", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["added"] == len(PHOTOS)
    again = faceprint(env, "features", "add", db, folder, "--key-from", "filename", "--json")
    assert json.loads(again.stdout)["skipped"] == len(PHOTOS)

    for key in PHOTOS:
        found = faceprint(env, "search", folder / f"{key}{Path(PHOTOS[key]).suffix}", "--db", db,
                          "--top-k", "2", "--json")
        assert found.returncode == 0, found.stderr
        hits = json.loads(found.stdout)["batches"][0]["features"]
        assert hits[0]["feature"]["key"] == key

    assert faceprint(env, "db", "delete", db).returncode == 0
    assert faceprint(env, "db", "show", db).returncode == 4
