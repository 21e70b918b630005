"""Hostile load against a real `faceprint serve`: does one tenant stall the others?

Tenant B sends one-face detects, one at a time, first with tenant A idle, then while tenant A sends the
worst inputs it can within the limits: detects of 16 pixel bombs (PNGs of zeros just under the decoded-pixel
budget, a few dozen KB each), 16-image detects of real photos and many concurrent requests. Prints B's
p50/p99 in both phases side by side, and A's answers by status (429 AppBusy and 504 RequestDeadline are
the expected refusals; a 5xx other than 503/504 is a failure).

    .venv/bin/python bench/abuse.py              # 15 s per phase
    .venv/bin/python bench/abuse.py --seconds 60 # longer

Needs the models (`faceprint models pull`); photos from ../shared/faces when present.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import Api, percentiles, serve

REPO = Path(__file__).resolve().parents[1]


def one_face() -> str:
    p = REPO.parent / "shared" / "faces" / "deepface_img1.jpg"
    if p.is_file():
        return base64.b64encode(p.read_bytes()).decode()
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, format="JPEG", quality=90)
    return base64.b64encode(buf.getvalue()).decode()


def pixel_bomb(pixels: int) -> str:
    """A PNG of zeros with just under ``pixels`` pixels: tiny on the wire, the most work the server accepts."""
    side = int(pixels**0.5) - 1
    buf = io.BytesIO()
    Image.new("L", (side, side), 0).save(buf, format="PNG", optimize=True)
    return base64.b64encode(buf.getvalue()).decode()


async def tenant_b(api: Api, body: bytes, seconds: float) -> tuple[list[float], Counter[int]]:
    lat: list[float] = []
    codes: Counter[int] = Counter()
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        t0 = time.perf_counter()
        try:
            r = await api.call("POST", "/detect", content=body)
            codes[r.status_code] += 1
            if r.status_code == 200:
                lat.append(time.perf_counter() - t0)
        except httpx.HTTPError:
            codes[-1] += 1
    return lat, codes


async def tenant_a(api: Api, bodies: list[bytes], clients: int, stop: asyncio.Event) -> Counter[str]:
    seen: Counter[str] = Counter()

    async def worker(i: int) -> None:
        k = i
        while not stop.is_set():
            body = bodies[k % len(bodies)]
            k += 1
            try:
                r = await api.call("POST", "/detect", content=body)
                code = r.json().get("internal_code", 0) if r.status_code != 200 else 0
                seen[f"{r.status_code}" + (f"/{code}" if code else "")] += 1
                if r.status_code == 429:
                    await asyncio.sleep(min(float(r.headers.get("retry-after", "1")), 2.0) / 4)
            except httpx.HTTPError as e:
                seen[type(e).__name__] += 1

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return seen


async def run(base: str, cred_a: dict[str, str], cred_b: dict[str, str], seconds: float, clients: int,
              budget: int) -> int:
    a, b = Api(base, cred_a, timeout=300), Api(base, cred_b, timeout=300)
    face = one_face()
    b_body = json.dumps({"images": [{"data": face}]}).encode()
    bomb = pixel_bomb(budget)
    bombs = json.dumps({"images": [{"data": bomb}] * 16}).encode()
    photos16 = json.dumps({"images": [{"data": face}] * 16}).encode()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"B: one-face detect ({len(b_body) // 1024} KiB), one at a time; A: {clients} concurrent clients "
          f"sending 16-image detects of pixel bombs ({len(bombs) // 1024} KiB, 16 x {budget / 1e6:.0f} MP PNG) "
          f"and of real photos; {seconds:.0f} s per phase")
    await b.call("POST", "/detect", content=b_body)  # warm-up
    idle_lat, idle_codes = await tenant_b(b, b_body, seconds)
    stop = asyncio.Event()
    attack = asyncio.ensure_future(tenant_a(a, [bombs, photos16], clients, stop))
    await asyncio.sleep(1.0)  # A's flood in place
    busy_lat, busy_codes = await tenant_b(b, b_body, seconds)
    stop.set()
    a_seen = await attack
    await a.close()
    await b.close()
    p50i, p99i = percentiles(idle_lat)
    p50b, p99b = percentiles(busy_lat)
    print(f"{'B one-face detect':<22} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'non-200':>8}")
    print(f"{'A idle':<22} {len(idle_lat):>5} {p50i:>9.1f} {p99i:>9.1f} "
          f"{sum(v for k, v in idle_codes.items() if k != 200):>8}")
    print(f"{'A attacking':<22} {len(busy_lat):>5} {p50b:>9.1f} {p99b:>9.1f} "
          f"{sum(v for k, v in busy_codes.items() if k != 200):>8}")
    ratio = p99b / p99i if p99i else float("inf")
    print(f"B p99 attacking / idle: {ratio:.2f}x (target <= 2x)")
    print("A's answers (status/internal_code): " + ", ".join(f"{k}: {v}" for k, v in sorted(a_seen.items())))
    server_errors = sum(v for k, v in a_seen.items() if k[:1] == "5" and not k.startswith(("503", "504")))
    server_errors += sum(v for k, v in busy_codes.items() if k >= 500)
    print(f"5xx other than 503/504 (A and B): {server_errors}")
    await hang_up(base, cred_a, cred_b, bombs, b_body)
    return 1 if server_errors else 0


async def hang_up(base: str, cred_a: dict[str, str], cred_b: dict[str, str], bombs: bytes, b_body: bytes) -> None:
    """A sends a 16-bomb detect and hangs up after 1 s; B's one-face detect right after must not wait for
    the abandoned work (before issue 14 it waited 33 s)."""
    await asyncio.sleep(3.0)  # what the flood left running ends
    a = Api(base, cred_a, timeout=1.0)
    b = Api(base, cred_b, timeout=300)
    with contextlib.suppress(httpx.HTTPError):  # the hang-up, after 1 s
        await a.call("POST", "/detect", content=bombs)
    await a.close()
    lat = []
    for _ in range(5):
        t0 = time.perf_counter()
        await b.call("POST", "/detect", content=b_body)
        lat.append((time.perf_counter() - t0) * 1000)
    a2 = Api(base, cred_a, timeout=300)
    t0 = time.perf_counter()
    r = await a2.call("POST", "/detect", content=b_body)
    a_after = (time.perf_counter() - t0) * 1000
    await a2.close()
    await b.close()
    print(f"after A hung up a 16-bomb detect at 1 s: B's next 5 detects {', '.join(f'{x:.0f}' for x in lat)} ms; "
          f"A's own next one-face detect {a_after:.0f} ms (HTTP {r.status_code})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15.0, help="duration of each phase (default 15)")
    ap.add_argument("--clients", type=int, default=8, help="A's concurrent clients (default 8)")
    args = ap.parse_args()
    from faceprint.settings import Settings

    budget = Settings().max_decode_pixels
    with serve() as server:
        cred_a = server.credentials()
        cred_b = server.new_app("tenant-b")
        return asyncio.run(run(server.base, cred_a, cred_b, args.seconds, args.clients, budget))


if __name__ == "__main__":
    sys.exit(main())
