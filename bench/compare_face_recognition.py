"""Faceprint vs the face_recognition library (same dlib models), same images, same process run.

    pip install --no-deps face_recognition==1.3.0 face_recognition_models==0.3.0   # bench-only
    python bench/compare_face_recognition.py [--faces DIR] [--threads 1]

For each photo of labels.csv, decoded once (EXIF applied) and given to both as the same RGB array:
face_recognition's default pipeline (HOG detector with one upsample, 5-point landmarks, ResNet descriptor,
all faces) vs Faceprint's (detector, own 5-point landmarks, ONNX descriptor, all faces; attributes off,
as face_recognition has none; the default recogniser, SFace). Prints faces found (recall by the rules of
bench/evaluate.py) and the time per image, side by side; also for a one-face 640x480 photo, where Faceprint
runs once with each shipped recogniser (SFace, the fusion of SFace and dlib, and dlib's ResNet alone,
face_recognition's own).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import detection_figures, read_labels  # noqa: E402
from faceprint.engine import Engine  # noqa: E402
from faceprint.engine.detection import FaceDetector  # noqa: E402
from faceprint.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=15, help="runs of the 640x480 photo")
    ap.add_argument("--no-face-recognition", action="store_true",
                    help="only Faceprint, with its chosen detectors and with BlazeFace alone (no YuNet partner)")
    args = ap.parse_args()
    fr: Any = None
    if not args.no_face_recognition:
        try:
            import face_recognition as fr
        except ImportError:
            print("face_recognition is not installed: pip install --no-deps face_recognition==1.3.0 "
                  "face_recognition_models==0.3.0 (or --no-face-recognition)", file=sys.stderr)
            return 2
    if not (args.faces / "labels.csv").is_file():
        print(f"no labels.csv in {args.faces}", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    engine = Engine.from_settings(Settings(inference_threads=args.threads))
    alone = Engine.from_settings(Settings(inference_threads=args.threads))  # BlazeFace without its partner
    alone.detector = FaceDetector(alone.model_dir, alone.detector.min_face, 1, "none")
    labels = read_labels(args.faces)
    rows_fp, rows_fr, rows_bf = [], [], []
    t_fp, t_fr, t_bf = [], [], []
    for row in labels:
        pixels = engine.decode((args.faces / row["file"]).read_bytes())
        t0 = time.perf_counter()
        found = engine.detect(pixels, embed=True, attributes=False)
        t_fp.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        bf = alone.detect(pixels, embed=True, attributes=False)
        t_bf.append((time.perf_counter() - t0) * 1000)
        rows_fp.append((row, len(found.faces)))
        rows_bf.append((row, len(bf.faces)))
        if fr is not None:
            t0 = time.perf_counter()
            locs = fr.face_locations(pixels)
            fr.face_encodings(pixels, locs)
            t_fr.append((time.perf_counter() - t0) * 1000)
            rows_fr.append((row, len(locs)))
    d_fp, d_bf = detection_figures(rows_fp), detection_figures(rows_bf)
    d_fr = detection_figures(rows_fr) if fr is not None else {k: float("nan") for k in d_fp}

    # the one-face 640x480 photo: a frontal portrait of the set, resized
    names = {r["file"] for r in labels}
    src = "fr_obama.jpg" if "fr_obama.jpg" in names else labels[0]["file"]
    img = Image.open(args.faces / src).convert("RGB").resize((640, 480))
    arr = np.asarray(img)
    packs = ["sface-2021dec-int8", "sface-2021dec", "sface+dlib-int8", "sface+dlib", "dlib-resnet-v1"]
    for p in packs:
        engine.detect(arr, embed=True, attributes=False, packs=[p])
        alone.detect(arr, embed=True, attributes=False, packs=[p])
    one_fp: dict[str, list[float]] = {p: [] for p in packs}
    one_bf: dict[str, list[float]] = {p: [] for p in packs}
    one_fr = []
    for _ in range(args.repeat):
        for p in packs:
            t0 = time.perf_counter()
            engine.detect(arr, embed=True, attributes=False, packs=[p])
            one_fp[p].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            alone.detect(arr, embed=True, attributes=False, packs=[p])
            one_bf[p].append((time.perf_counter() - t0) * 1000)
        if fr is not None:
            t0 = time.perf_counter()
            fr.face_encodings(arr, fr.face_locations(arr))
            one_fr.append((time.perf_counter() - t0) * 1000)

    def p50(v: list[float]) -> float:
        return statistics.median(v) if v else float("nan")

    def mean(v: list[float]) -> float:
        return statistics.mean(v) if v else float("nan")

    print(f"{len(labels)} photos of {args.faces}, {args.threads} inference thread(s), {os.cpu_count()} cores; "
          f"Faceprint's detectors: BlazeFace + O-net, YuNet partner '{engine.detector.partner}'")
    print(f"{'':34s} {'face_recognition':>18s} {'Faceprint':>12s} {'BlazeFace alone':>16s}")
    for key in ("labelled_faces", "found", "recall", "group_recall", "false_positives",
                "noface_images_with_detections"):
        a, b, c = d_fr[key], d_fp[key], d_bf[key]
        fmt = (lambda v: f"{v:.3f}") if isinstance(b, float) else str
        print(f"{key:34s} {fmt(a):>18s} {fmt(b):>12s} {fmt(c):>16s}")
    print(f"{'ms per image, p50 (set)':34s} {p50(t_fr):18.1f} {p50(t_fp):12.1f} {p50(t_bf):16.1f}")
    print(f"{'ms per image, mean (set)':34s} {mean(t_fr):18.1f} {mean(t_fp):12.1f} {mean(t_bf):16.1f}")
    for p in packs:
        print(f"{'ms one-face 640x480, p50, ' + p:34s} {p50(one_fr):18.1f} "
              f"{p50(one_fp[p]):12.1f} {p50(one_bf[p]):16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
