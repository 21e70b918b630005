"""The engine in worker processes (FACEPRINT_ENGINE_PROCESSES): the same answers as the in-process engine,
over the real app, and a worker that dies costs the calls it held, not the service."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.engine import Engine
from faceprint.engine.processes import EngineProcesses
from faceprint.engine.types import ImageInput
from faceprint.errors import InternalError, ModelMissing, NoFace
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from tests.api.conftest import Signed, make_tenant, open_test_store


@pytest.fixture(scope="module")
def workers(model_dir: Path) -> Iterator[EngineProcesses]:
    w = EngineProcesses(Settings(model_dir=model_dir), 2)
    yield w
    w.close()


def test_workers_answer_as_the_engine_does(workers: EngineProcesses, engine: Engine,
                                           photos: dict[str, str]) -> None:
    mine = workers.detect(photos["couple"], embed=True)
    ref = engine.detect(photos["couple"], embed=True)
    assert len(mine.faces) == len(ref.faces) == 2
    for a, b in zip(mine.faces, ref.faces, strict=True):
        assert a.box == b.box
        assert a.attributes == b.attributes
        assert a.embedding is not None and b.embedding is not None
        assert np.array_equal(a.embedding, b.embedding)
    batch = workers.embed_many([ImageInput(photos["jolie1"]), ImageInput(photos["noface"]), ImageInput("not base64!")])
    assert isinstance(batch[1], NoFace)  # domain errors come back in their slots, as they are
    assert batch[2].internal_code == 1101  # type: ignore[union-attr]
    face, _ = engine.largest_face(photos["jolie1"])
    ok = batch[0]
    assert not isinstance(ok, Exception) and face.embedding is not None and ok[0].embedding is not None
    assert np.array_equal(ok[0].embedding, face.embedding)
    assert workers.compare(photos["jolie1"], photos["jolie2"]).score == engine.compare(
        photos["jolie1"], photos["jolie2"]).score
    with pytest.raises(NoFace):
        workers.quality(photos["noface"])


def test_a_killed_worker_fails_its_call_then_the_pool_recovers(model_dir: Path, photos: dict[str, str]) -> None:
    w = EngineProcesses(Settings(model_dir=model_dir), 1)
    try:
        pids = list(w._pool._processes)  # the one worker
        assert len(pids) == 1
        os.kill(pids[0], signal.SIGKILL)
        with pytest.raises(InternalError):
            w.detect(photos["jolie1"])
        again = w.detect(photos["jolie1"])
        assert len(again.faces) == 1
        assert list(w._pool._processes) != pids
    finally:
        w.close()


def test_missing_models_are_named_before_any_worker_starts(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="faceprint models pull"):
        EngineProcesses(Settings(model_dir=tmp_path), 2)


@pytest.fixture
def proc_api(tmp_path: Path, model_dir: Path) -> Iterator[Signed]:
    """The app as `faceprint serve` builds it when no engine is given: models in 2 worker processes."""
    settings = Settings(data_dir=tmp_path / "data", model_dir=model_dir, engine_processes=2)
    store: FeatureStore = open_test_store(settings)
    try:
        app = create_app(settings, engine=None, store=store)
        assert isinstance(app.state.ctx.service.engine, EngineProcesses)
        with TestClient(app) as c:
            yield Signed(c, make_tenant(store, settings))
    finally:
        store.close()


def test_batch_add_and_search_through_worker_processes(proc_api: Signed, photos: dict[str, str]) -> None:
    db = proc_api.post("/databases", {"name": "staff", "max_size": 100}).json()["db_id"]
    images = [{"image": {"data": photos[k]}, "key": k} for k in ("jolie1", "damon1", "obama1", "noface")]
    r = proc_api.post(f"/databases/{db}/features", {"images": images})
    assert r.status_code == 200
    codes = [x["code"] for x in r.json()["results"]]
    assert codes == [0, 0, 0, 3]
    assert r.json()["features"][0]["face"]["attributes"]["gender_code"] == "FEMALE"
    hit = proc_api.post("/databases/search", {"image": {"data": photos["damon2"]}, "db_ids": [db], "top_k": 1})
    assert hit.status_code == 200
    best = hit.json()["batches"][0]["features"][0]
    assert best["feature"]["key"] == "damon1" and best["score"] > 0.955


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc to find the workers")
def test_workers_exit_when_the_service_is_killed(tmp_path: Path, model_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FACEPRINT_DATA_DIR": str(tmp_path), "FACEPRINT_PORT": str(port),
           "FACEPRINT_MODEL_DIR": str(model_dir), "FACEPRINT_ENGINE_PROCESSES": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "faceprint.cli.main", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None and time.time() < deadline, "serve did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        workers = [p for p in _children(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(workers) == 2
    finally:
        proc.kill()  # as kill -9: no shutdown code runs in the service
        proc.wait()
    deadline = time.time() + 15
    while any(_alive(p) for p in workers) and time.time() < deadline:
        time.sleep(0.2)
    assert not [p for p in workers if _alive(p)], "orphaned engine workers"


def _alive(pid: int) -> bool:
    """Running (an exited process not yet reaped, a zombie, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
