"""Time the engine of a given source tree on the labelled photos: for A/B runs of two versions of the code.

    git archive <old-commit> src | tar -x -C /tmp/base
    python bench/ab_time.py /tmp/base/src ; python bench/ab_time.py src     # alternate, repeat, compare

Prints, for ``engine.detect(pixels, embed=True, attributes=False)`` (the default recogniser, one inference
thread): ms per photo over ../shared/faces (p50 and mean, decode excluded, after 5 warm-up photos) and the
p50 of 25 runs on a one-face 640x480 photo. Run the versions alternately, several times, on a quiet machine:
the figures move with the load.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(sys.argv[1]).resolve()))
    from faceprint.engine import Engine
    from faceprint.settings import Settings

    faces = REPO.parent / "shared" / "faces"
    engine = Engine.from_settings(Settings(inference_threads=1))
    with (faces / "labels.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    pixels = [engine.decode((faces / r["file"]).read_bytes()) for r in rows]
    for p in pixels[:5]:
        engine.detect(p, embed=True, attributes=False)
    per_photo = []
    for p in pixels:
        t0 = time.perf_counter()
        engine.detect(p, embed=True, attributes=False)
        per_photo.append((time.perf_counter() - t0) * 1000)
    one = np.asarray(Image.open(faces / "fr_obama.jpg").convert("RGB").resize((640, 480)))
    for _ in range(3):
        engine.detect(one, embed=True, attributes=False)
    runs = []
    for _ in range(25):
        t0 = time.perf_counter()
        engine.detect(one, embed=True, attributes=False)
        runs.append((time.perf_counter() - t0) * 1000)
    print(f"{sys.argv[1]}: set p50 {statistics.median(per_photo):.1f} ms, mean {statistics.mean(per_photo):.1f} ms; "
          f"one-face 640x480 p50 {statistics.median(runs):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
