"""Load generator: detect and search over loopback against a real `faceprint serve` subprocess.

Prints requests per second and p50/p99 latency at 1, 4 and 16 concurrent clients, with the machine.

    .venv/bin/python bench/load.py            # 20 s per level
    .venv/bin/python bench/load.py --quick    # 5 s per level

Needs the models (`faceprint models pull`). Uses ../shared/faces/deepface_img1.jpg when present, else
scikit-image's astronaut.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from faceprint.signing import sign_request

REPO = Path(__file__).resolve().parents[1]
PREFIX = "/openapi/face/v1"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def photo_b64() -> tuple[str, str]:
    p = REPO.parent / "shared" / "faces" / "deepface_img1.jpg"
    if p.is_file():
        return base64.b64encode(p.read_bytes()).decode(), p.name
    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, format="JPEG", quality=90)
    return base64.b64encode(buf.getvalue()).decode(), "skimage astronaut"


def enrol_photos(n: int = 16) -> list[str]:
    """Base64 of up to ``n`` different one-face photos (the astronaut when ../shared is absent)."""
    faces = REPO.parent / "shared" / "faces"
    out: list[str] = []
    if (faces / "labels.csv").is_file():
        import csv

        with (faces / "labels.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                if row["faces"] == "1" and "rotated" not in row["notes"] and len(out) < n:
                    out.append(base64.b64encode((faces / row["file"]).read_bytes()).decode())
    return out or [photo_b64()[0]]


class Api:
    def __init__(self, base: str, cred: dict[str, str]) -> None:
        self.base = base
        self.cred = cred
        self.client = httpx.AsyncClient(base_url=base, timeout=120.0,
                                        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))

    async def call(self, method: str, rest: str, body: Any = None) -> httpx.Response:
        path = f"{PREFIX}/{self.cred['app_id']}{rest}"
        h = sign_request(self.cred["access_key"], self.cred["secret_key"], method, path)
        if body is not None:
            h["Content-Type"] = "application/json"
        return await self.client.request(method, path, headers=h,
                                         content=None if body is None else json.dumps(body))


async def run_level(api: Api, rest: str, body: Any, clients: int, seconds: float) -> dict[str, float]:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                r = await api.call("POST", rest, body)
            except httpx.HTTPError:
                errors += 1
                continue
            dt = time.perf_counter() - t0
            if r.status_code == 200:
                lat.append(dt)
            else:
                errors += 1

    t_start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t_start
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) >= 2 else lat * 99
    return {"n": len(lat), "errors": errors, "rps": len(lat) / wall,
            "p50": (q[49] if q else 0.0) * 1000, "p99": (q[98] if q else 0.0) * 1000}


async def bench(base: str, cred: dict[str, str], seconds: float, levels: list[int]) -> None:
    api = Api(base, cred)
    img, name = photo_b64()
    db_id = (await api.call("POST", "/databases", {"name": "bench", "max_size": 1000})).json()["db_id"]
    items = [{"image": {"data": img}, "key": f"k{i}"} for i in range(8)]
    r = await api.call("POST", f"/databases/{db_id}/features", {"images": items})
    if r.status_code != 200:
        raise SystemExit(f"batch add failed: {r.status_code} {r.text[:200]}")
    cases = [("detect", "/detect", {"images": [{"data": img}]}),
             ("search", "/databases/search", {"image": {"data": img}, "db_ids": [db_id], "top_k": 5})]
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"image: {name} ({len(base64.b64decode(img)) // 1024} KiB); {seconds:.0f} s per level; loopback HTTP")
    print(f"{'endpoint':<8} {'clients':>7} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'ok':>6} {'errors':>6}")
    for label, rest, body in cases:
        await api.call("POST", rest, body)  # warm-up
        for c in levels:
            s = await run_level(api, rest, body, c, seconds)
            print(f"{label:<8} {c:>7} {s['rps']:>8.2f} {s['p50']:>9.1f} {s['p99']:>9.1f} {s['n']:>6.0f} "
                  f"{s['errors']:>6.0f}", flush=True)
    await api.call("DELETE", f"/databases/{db_id}")
    await enrol(api, seconds)
    await api.client.aclose()


async def enrol(api: Api, seconds: float) -> None:
    """Enrolment throughput: batch adds of 16 different photos, 2 requests in flight (one per core)."""
    photos = enrol_photos()
    db_id = (await api.call("POST", "/databases", {"name": "enrol", "max_size": 100000})).json()["db_id"]
    body = {"images": [{"image": {"data": p}, "key": f"p{i}"} for i, p in enumerate(photos)]}
    await api.call("POST", f"/databases/{db_id}/features", body)  # warm-up
    added = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal added
        while time.perf_counter() < stop:
            r = await api.call("POST", f"/databases/{db_id}/features", body)
            if r.status_code == 200:
                added += sum(1 for x in r.json()["results"] if x["code"] == 0)

    t0 = time.perf_counter()
    await asyncio.gather(worker(), worker())
    wall = time.perf_counter() - t0
    kib = sum(len(p) * 3 // 4 for p in photos) // 1024 // len(photos)
    print(f"enrol: batch add of {len(photos)} different photos (mean {kib} KiB), 2 requests in flight: "
          f"{added / wall:.1f} faces/s ({added} faces in {wall:.1f} s)", flush=True)
    await api.call("DELETE", f"/databases/{db_id}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5 s per level")
    ap.add_argument("--seconds", type=float, default=20.0, help="duration of each level")
    ap.add_argument("--levels", default="1,4,16", help="concurrent clients, comma-separated")
    args = ap.parse_args()
    seconds = 5.0 if args.quick else args.seconds
    levels = [int(x) for x in args.levels.split(",")]
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FACEPRINT_DATA_DIR": tmp, "FACEPRINT_PORT": str(port),
               "FACEPRINT_HOST": "127.0.0.1", "FACEPRINT_LOG_LEVEL": "WARNING"}
        # the server's log goes to a file: an unread pipe would fill and stall the server
        log_path = Path(tmp) / "serve.log"
        log_file = log_path.open("w")
        proc = subprocess.Popen([sys.executable, "-m", "faceprint.cli.main", "serve"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log_file)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 180
            while True:
                if proc.poll() is not None:
                    err = log_path.read_text()
                    raise SystemExit(f"faceprint serve exited ({proc.returncode}): {err[-2000:]}")
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline:
                    raise SystemExit("faceprint serve did not become ready in 180 s")
                time.sleep(0.5)
            cred = json.loads((Path(tmp) / "credentials.json").read_text())
            asyncio.run(bench(base, cred, seconds, levels))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
