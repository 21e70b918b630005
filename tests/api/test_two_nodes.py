"""Two real `faceprint serve` processes on one PostgreSQL: what one node writes, the other's search sees
within one second (in fact at its next search)."""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from PIL import Image
from psycopg.conninfo import conninfo_to_dict
from skimage import data as skdata

from faceprint.client import Client
from tests.storage.pg_support import fresh_database_url

pytestmark = pytest.mark.slow


def _as_url(conninfo: str) -> str:
    """The test server's key=value conninfo as the postgresql:// URL FACEPRINT_STORE_URL takes."""
    d = conninfo_to_dict(conninfo)
    query = {k: str(v) for k, v in d.items() if k in ("host", "port") and v}
    return f"postgresql://{quote(str(d.get('user', '')))}@/{quote(str(d['dbname']))}?{urlencode(query)}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(stack: ExitStack, data_dir: Path, env: dict[str, str]) -> str:
    """Start one node; return its base URL once /readyz answers."""
    port = _free_port()
    data_dir.mkdir()
    log = stack.enter_context((data_dir / "serve.log").open("w"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "faceprint.cli.main", "serve"],
        env={**env, "FACEPRINT_DATA_DIR": str(data_dir), "FACEPRINT_PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=log,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    stack.callback(stop)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        assert proc.poll() is None, (data_dir / "serve.log").read_text()[-2000:]
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return base
        except httpx.HTTPError:
            pass
        assert time.time() < deadline, "node not ready in 120 s"
        time.sleep(0.3)


@pytest.fixture
def two_nodes(tmp_path: Path, model_dir: Path) -> Iterator[tuple[Client, Client]]:
    with fresh_database_url() as url, ExitStack() as stack:
        env = {**os.environ, "FACEPRINT_STORE_URL": _as_url(url), "FACEPRINT_MODEL_DIR": str(model_dir),
               "FACEPRINT_SERVER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
               "FACEPRINT_LOG_LEVEL": "WARNING"}
        base_a = _serve(stack, tmp_path / "a", env)  # A creates the first app and key pair
        base_b = _serve(stack, tmp_path / "b", env)
        cred = json.loads((tmp_path / "a" / "credentials.json").read_text())

        def client(base: str) -> Client:
            c = Client(f"{base}/openapi/face/v1", cred["app_id"], cred["access_key"], cred["secret_key"])
            stack.callback(c.close)
            return c

        yield client(base_a), client(base_b)


def _within_one_second(check: Callable[[], bool]) -> float:
    t0 = time.perf_counter()
    while not check():
        assert time.perf_counter() - t0 < 1.0, "not seen by the other node within one second"
        time.sleep(0.02)
    return time.perf_counter() - t0


def test_writes_through_one_node_are_seen_by_the_other(two_nodes: tuple[Client, Client]) -> None:
    a, b = two_nodes
    buf = io.BytesIO()
    Image.fromarray(skdata.astronaut()).save(buf, format="JPEG", quality=92)
    photo = buf.getvalue()
    db = a.create_database("nodes", max_size=100)
    assert db.db_id in b.list_databases().databases

    def found_by(node: Client, feature_id: str) -> bool:
        hits = node.search(photo, [db.db_id], top_k=10).batches[0].features
        return feature_id in {h.feature.feature_id for h in hits}

    added = a.add_features(db.db_id, [(photo, "astronaut", "via A")]).features[0].feature_id
    _within_one_second(lambda: found_by(b, added))
    assert b.get_feature(db.db_id, added).feature.extra_info == "via A"

    a.delete_feature(db.db_id, added)
    _within_one_second(lambda: not found_by(b, added))

    again = b.add_features(db.db_id, [(photo, "astronaut", "via B")]).features[0].feature_id
    _within_one_second(lambda: found_by(a, again))
    assert a.get_database(db.db_id).size == 1
