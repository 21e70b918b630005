"""A real `faceprint serve` subprocess for the benches (abuse.py, soak.py): a temporary data folder, a free
port, the default app's credentials and more apps made with `faceprint apps create`, a signed async client."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from faceprint.signing import sign_request

PREFIX = "/openapi/face/v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path

    def credentials(self) -> dict[str, str]:
        """The default app made at first start."""
        cred: dict[str, str] = json.loads((self.data_dir / "credentials.json").read_text())
        return cred

    def new_app(self, name: str) -> dict[str, str]:
        """Another app with its key pair (`faceprint apps create`, beside the running server)."""
        out = subprocess.run(
            [sys.executable, "-m", "faceprint.cli.main", "apps", "create", "--name", name, "--json"],
            env={**os.environ, "FACEPRINT_DATA_DIR": str(self.data_dir)}, check=True, capture_output=True,
        )
        cred: dict[str, str] = json.loads(out.stdout)
        return cred


@contextlib.contextmanager
def serve(extra_env: dict[str, str] | None = None, ready_s: float = 180.0) -> Iterator[Server]:
    """`faceprint serve` on a free port in a fresh data folder, ready (/readyz 200), stopped at the end."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FACEPRINT_DATA_DIR": tmp, "FACEPRINT_PORT": str(port),
               "FACEPRINT_HOST": "127.0.0.1", "FACEPRINT_LOG_LEVEL": "WARNING", **(extra_env or {})}
        log_path = Path(tmp) / "serve.log"
        with log_path.open("w") as log_file:  # a file: an unread pipe would fill and stall the server
            proc = subprocess.Popen([sys.executable, "-m", "faceprint.cli.main", "serve"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=log_file)
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.time() + ready_s
                while True:
                    if proc.poll() is not None:
                        raise SystemExit(f"faceprint serve exited ({proc.returncode}): "
                                         f"{log_path.read_text()[-2000:]}")
                    with contextlib.suppress(httpx.HTTPError):
                        if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                            break
                    if time.time() > deadline:
                        raise SystemExit(f"faceprint serve did not become ready in {ready_s:.0f} s")
                    time.sleep(0.5)
                yield Server(base, Path(tmp), proc, log_path)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


class Api:
    """Signed calls of one app."""

    def __init__(self, base: str, cred: dict[str, str], timeout: float = 120.0) -> None:
        self.cred = cred
        self.client = httpx.AsyncClient(base_url=base, timeout=timeout,
                                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))

    async def call(self, method: str, rest: str, body: Any = None, content: bytes | None = None) -> httpx.Response:
        path = f"{PREFIX}/{self.cred['app_id']}{rest}"
        h = sign_request(self.cred["access_key"], self.cred["secret_key"], method, path)
        if body is not None or content is not None:
            h["Content-Type"] = "application/json"
        data = content if content is not None else (None if body is None else json.dumps(body).encode())
        return await self.client.request(method, path, headers=h, content=data)

    async def close(self) -> None:
        await self.client.aclose()


def percentiles(lat_s: list[float]) -> tuple[float, float]:
    """(p50, p99) in ms."""
    if not lat_s:
        return 0.0, 0.0
    if len(lat_s) == 1:
        return lat_s[0] * 1000, lat_s[0] * 1000
    q = statistics.quantiles(sorted(lat_s), n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children (the engine's worker processes)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out
