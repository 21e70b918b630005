"""Face detector candidates measured on the labelled photos: the measurement behind detection.py.

    .venv/bin/python bench/detectors.py [--quick] [--faces ../shared/faces] [--models DIR]
    .venv/bin/python bench/detectors.py --calibrate      # refit the dlib-box calibration

Per candidate, one thread each (dlib's HOG is single-threaded; the networks get one thread):

* group: labelled faces found on the group photos (per image min(found, faces_min or faces)), and how
  many group photos have all their faces;
* single: one-face photos (upright, EXIF applied) with a face found;
* fp: detections on the no-face photos (faces=0), upright and turned 90/180/270;
* sideways: photos whose pixels are turned 90/180/270 that get an upright detection (the engine turns
  a photo only when no upright face is found, so lower is better);
* large: the group photos pasted at their own size onto a 4000x3000 face-free background (small faces
  in a large image), faces found as for group;
* ms 640: p50 ms on one-face photos cropped to 4:3 and resized to 640x480 (warm);
* ms large: p50 ms on the 4000x3000 images; x hog1: worst per-image time ratio to dlib HOG with one
  upsample (face_recognition's default) over the photo set, first pass (new canvas shapes built on the
  way); warm: the same on a second pass.

--calibrate matches the detector's faces with dlib HOG (upsample 1) boxes, refits the linear map from
BlazeFace's box and keypoints to dlib's box (5-fold cross-validated), and reports how far dlib's 5-point
landmarks placed from the calibrated box fall from those placed from dlib's own box, in units of the
inter-ocular distance (IOD).
"""

from __future__ import annotations

import argparse
import csv
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from faceprint.engine._blazeface import BlazeFaceFullRange, RawDetections
from faceprint.engine._mtcnn import MTCNN
from faceprint.engine._nms import iou_matrix, weighted_nms
from faceprint.engine.detection import MIN_FACE_SLACK, FaceDetector, calibration_features, dlib_boxes
from faceprint.engine.models import ModelStore
from faceprint.settings import default_model_dir

REPO = Path(__file__).resolve().parents[1]
Detect = Callable[[np.ndarray], int]


def load(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def read_labels(faces: Path) -> list[dict[str, Any]]:
    rows = []
    with open(faces / "labels.csv", newline="") as f:
        for r in csv.DictReader(f):
            m = re.search(r"faces_min=(\d+)", r["notes"])
            r["n"] = int(r["faces"])
            r["need"] = int(m.group(1)) if m else r["n"]
            r["sideways"] = bool(re.match(r"rotated (90|180|270)", r["notes"]))
            rows.append(r)
    return rows


# -- candidates -------------------------------------------------------------------------------------


def dlib_hog(upsample: int) -> Detect:
    import dlib

    det = dlib.get_frontal_face_detector()
    return lambda img: len(det(img, upsample))


def blazeface_stock(models: ModelStore) -> Detect:
    """The stock full-range use: the whole image letterboxed into 192x192."""
    bf = BlazeFaceFullRange(models.path("face_detection_full_range.tflite"))

    def run(img: np.ndarray) -> int:
        h, w = img.shape[:2]
        s = 192 / max(h, w)
        small = Image.fromarray(img).resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR)
        canvas = np.zeros((192, 192, 3), np.float32)
        a = np.asarray(small, np.float32) / 127.5 - 1
        canvas[: a.shape[0], : a.shape[1]] = a
        raw = bf.run(canvas, 0.5)
        return len(weighted_nms(raw.scores, raw.boxes, raw.keypoints, 0.3)[0]) if len(raw) else 0

    return run


def blazeface_short(models: ModelStore) -> Detect:
    """BlazeFace short-range (128x128, faces within ~2 m), the whole image letterboxed."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(models.path("face_detection_short_range.tflite")), num_threads=1)
    it.allocate_tensors()
    inp = it.get_input_details()[0]["index"]
    outs = {o["name"]: o["index"] for o in it.get_output_details()}
    anchors = []
    for stride, per in ((8, 2), (16, 6)):
        g = 128 // stride
        ys, xs = np.mgrid[0:g, 0:g]
        c = (np.stack([xs, ys], -1).reshape(-1, 2) + 0.5) * stride
        anchors.append(np.repeat(c, per, axis=0))
    grid = np.concatenate(anchors).astype(np.float32)

    def run(img: np.ndarray) -> int:
        h, w = img.shape[:2]
        s = 128 / max(h, w)
        small = Image.fromarray(img).resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR)
        canvas = np.zeros((1, 128, 128, 3), np.float32)
        a = np.asarray(small, np.float32) / 127.5 - 1
        canvas[0, : a.shape[0], : a.shape[1]] = a
        it.set_tensor(inp, canvas)
        it.invoke()
        reg = it.get_tensor(outs["regressors"])[0]
        logit = it.get_tensor(outs["classificators"])[0, :, 0]
        keep = logit >= 0.0  # score 0.5
        if not keep.any():
            return 0
        c = grid[keep] + reg[keep, :2]
        half = reg[keep, 2:4] / 2
        boxes = np.concatenate([c - half, c + half], 1).astype(np.float32)
        pts = (reg[keep, 4:].reshape(-1, 6, 2) + grid[keep, None]).astype(np.float32)
        scores = (1 / (1 + np.exp(-logit[keep]))).astype(np.float32)
        return len(weighted_nms(scores, boxes, pts, 0.3)[0])

    return run


def mtcnn(models: ModelStore, min_face: int = 32) -> Detect:
    m = MTCNN(models.path("mtcnn_pnet.onnx"), models.path("mtcnn_rnet.onnx"), models.path("mtcnn_onet.onnx"))
    return lambda img: len(m.detect(Image.fromarray(img), min_face)[0])


def pyramid_only(det: FaceDetector) -> Detect:
    """The chosen pyramid without the O-net check."""

    def run(img: np.ndarray) -> int:
        cand = det.candidates(img)
        if not len(cand):
            return 0
        boxes = dlib_boxes(cand.boxes, cand.keypoints)
        return int((boxes[:, 2] >= MIN_FACE_SLACK * det.min_face).sum())

    return run


# -- data sets --------------------------------------------------------------------------------------


def speed_set(faces: Path, rows: list[dict[str, Any]], count: int) -> list[np.ndarray]:
    """One-face photos centre-cropped to 4:3 and resized to 640x480."""
    out = []
    for r in rows:
        if r["n"] != 1 or r["sideways"] or "group" in r["notes"] or "lfw" in r["file"]:
            continue
        img = Image.fromarray(load(faces / r["file"]))
        w, h = img.size
        cw, ch = (w, round(w * 3 / 4)) if w * 3 / 4 <= h else (round(h * 4 / 3), h)
        box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
        out.append(np.asarray(img.crop(box).resize((640, 480), Image.Resampling.BILINEAR)))
        if len(out) == count:
            break
    return out


def large_set(faces: Path, rows: list[dict[str, Any]], count: int) -> list[tuple[np.ndarray, int]]:
    """Group photos pasted at their own size onto a 4000x3000 background made of a face-free photo."""
    bg = Image.open(faces / "compreface_017_0.jpg").convert("RGB").resize((4000, 3000), Image.Resampling.BILINEAR)
    out = []
    for i, r in enumerate(r for r in rows if "group" in r["notes"]):
        img = Image.fromarray(load(faces / r["file"]))
        canvas = bg.copy()
        x = [200, 4000 - img.width - 200, (4000 - img.width) // 2][i % 3]
        y = [200, 3000 - img.height - 200, (3000 - img.height) // 2][(i // 3) % 3]
        canvas.paste(img, (max(0, x), max(0, y)))
        out.append((np.asarray(canvas), int(r["need"])))
        if len(out) == count:
            break
    return out


# -- measurement ------------------------------------------------------------------------------------


def timed(fn: Detect, img: np.ndarray) -> tuple[int, float]:
    t = time.perf_counter()
    n = fn(img)
    return n, (time.perf_counter() - t) * 1000


def measure(
    fns: dict[str, Detect], photos: list[tuple[dict[str, Any], np.ndarray]], fast: list[np.ndarray],
    large: list[tuple[np.ndarray, int]], reps: int,
) -> list[dict[str, Any]]:
    """Every candidate on every image, image by image (the machine's load then weighs on all alike)."""
    res = {name: {"name": name, "g": 0, "gn": 0, "gall": 0, "gcount": 0, "s": 0, "sn": 0, "fp": 0,
                  "fprot": 0, "side": 0, "siden": 0, "times": {}} for name in fns}
    for r, img in photos:
        turned = [np.ascontiguousarray(np.rot90(img, k)) for k in (1, 2, 3)] if r["n"] == 0 else []
        for name, fn in fns.items():
            x = res[name]
            n, ms = timed(fn, img)
            x["times"][r["file"]] = ms
            if "group" in r["notes"]:
                x["g"] += min(n, r["need"])
                x["gn"] += r["need"]
                x["gall"] += n >= r["need"]
                x["gcount"] += 1
            elif r["n"] == 0:
                x["fp"] += n
                x["fprot"] += sum(fn(t) for t in turned)
            elif r["sideways"]:
                x["side"] += n > 0
                x["siden"] += 1
            elif r["n"] == 1:
                x["s"] += n >= 1
                x["sn"] += 1
    for r, img in photos:  # again, every canvas shape now built
        for name, fn in fns.items():
            res[name].setdefault("warm", {})[r["file"]] = timed(fn, img)[1]
    fast_ms: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        for img in fast:
            fn(img)  # warm-up: every canvas shape built once
    for _ in range(reps):
        for img in fast:
            for name, fn in fns.items():
                fast_ms[name].append(timed(fn, img)[1])
    large_ms: dict[str, list[float]] = {name: [] for name in fns}
    found = dict.fromkeys(fns, 0)
    need = 0
    for img, k in large:
        need += k
        for name, fn in fns.items():
            n, ms = timed(fn, img)
            found[name] += min(n, k)
            large_ms[name].append(ms)
    for name, x in res.items():
        x["ms640"] = statistics.median(fast_ms[name])
        x["large"] = f"{found[name]}/{need}"
        x["mslarge"] = statistics.median(large_ms[name]) if large else float("nan")
    return list(res.values())


def table(results: list[dict[str, Any]]) -> None:
    hog1 = next((r for r in results if r["name"] == "dlib-hog-up1"), None)
    head = (f"{'candidate':22s} {'group':>9s} {'complete':>8s} {'single':>8s} {'fp':>3s} {'fp-rot':>6s} "
            f"{'sideways':>8s} {'large':>7s} {'ms 640':>7s} {'ms large':>8s} {'x hog1':>6s} {'warm':>5s}")
    print(head)
    print("-" * len(head))
    for r in results:
        ratio, warm = float("nan"), float("nan")
        if hog1 is not None:
            ratio = max(r["times"][f] / max(hog1["times"][f], 1e-6) for f in r["times"])
            warm = max(r["warm"][f] / max(hog1["warm"][f], 1e-6) for f in r["warm"])
        g = f"{r['g']}/{r['gn']}"
        print(f"{r['name']:22s} {g:>9s} {r['gall']:>3d}/{r['gcount']:<4d} {r['s']:>3d}/{r['sn']:<4d}"
              f"{r['fp']:>3d} {r['fprot']:>6d} {r['side']:>4d}/{r['siden']:<3d} {r['large']:>7s} "
              f"{r['ms640']:>7.1f} {r['mslarge']:>8.0f} {ratio:>6.2f} {warm:>5.2f}")


# -- calibration ------------------------------------------------------------------------------------


def calibrate(faces: Path, models: ModelStore, rows: list[dict[str, Any]]) -> None:
    import dlib

    from faceprint.engine.landmarks import ShapePredictor
    from faceprint.engine.types import Box

    det = FaceDetector(models.model_dir)
    hog = dlib.get_frontal_face_detector()
    sp = ShapePredictor(models.path("shape_predictor_5_face_landmarks.dat"))
    pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int, int]]] = []
    for r in rows:
        if r["sideways"] or r["n"] == 0:
            continue
        img = load(faces / r["file"])
        cand = det.candidates(img)
        rects = [(d.left(), d.top(), d.right(), d.bottom()) for d in hog(img, 1)]
        if not len(cand) or not rects:
            continue
        ok, _, _ = det._onet(Image.fromarray(img), cand.boxes)
        cand = RawDetections(cand.scores[ok >= 0.9], cand.boxes[ok >= 0.9], cand.keypoints[ok >= 0.9])
        d = np.array([[a, b, c + 1, e + 1] for a, b, c, e in rects], np.float32)
        iou = iou_matrix(cand.boxes, d)
        for i, j in zip(*np.nonzero(iou > 0.3), strict=True):
            pairs.append((cand.boxes[i], cand.keypoints[i], img, rects[j]))
    B = np.array([p[0] for p in pairs], np.float32)
    K = np.array([p[1] for p in pairs], np.float32)
    D = np.array([p[3] for p in pairs], np.float64)
    F = calibration_features(B, K)
    side = ((B[:, 2] - B[:, 0]) + (B[:, 3] - B[:, 1])) / 2
    cx, cy = (B[:, 0] + B[:, 2]) / 2, (B[:, 1] + B[:, 3]) / 2
    T = np.stack([((D[:, 0] + D[:, 2]) / 2 - cx) / side, ((D[:, 1] + D[:, 3]) / 2 - cy) / side,
                  (D[:, 2] - D[:, 0] + 1) / side], 1)
    fold = np.random.default_rng(0).integers(0, 5, len(pairs))
    def fit(f: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Least squares with a small ridge (1e-3, intercept free): the features are nearly collinear."""
        ridge = 1e-3 * np.eye(f.shape[1])
        ridge[0, 0] = 0.0
        return np.linalg.solve(f.T @ f + ridge, f.T @ t)

    def cross_validated(cols: int) -> np.ndarray:
        out = np.zeros_like(T)
        for k in range(5):
            tr = fold != k
            out[~tr] = F[~tr, :cols] @ fit(F[tr, :cols], T[tr])
        return out

    W = fit(F, T).T
    np.set_printoptions(precision=5, suppress=True)
    print(f"{len(pairs)} faces found by both; coefficients (rows: centre x, centre y, side):\n{W}")

    def landmark_error(pred: np.ndarray) -> np.ndarray:
        errs = []
        for i, (_, _, img, (x0, y0, x1, y1)) in enumerate(pairs):
            ref = sp.predict(img, Box(x0, y0, x1 - x0 + 1, y1 - y0 + 1))
            s = side[i] * np.clip(pred[i, 2], 0.7, 1.25)
            x, y = cx[i] + side[i] * pred[i, 0], cy[i] + side[i] * pred[i, 1]
            got = sp.predict(img, Box(x - (s - 1) / 2, y - (s - 1) / 2, s, s))
            iod = np.linalg.norm(ref[0:2].mean(0) - ref[2:4].mean(0))
            errs.append(np.linalg.norm(got - ref, axis=1).mean() / iod)
        return np.array(errs)

    shipped = dlib_boxes(B, K)
    sh = np.stack([(shipped[:, 0] + (shipped[:, 2] - 1) / 2 - cx) / side,
                   (shipped[:, 1] + (shipped[:, 3] - 1) / 2 - cy) / side, shipped[:, 2] / side], 1)
    plain = np.tile([0.0, 0.0, 1.0], (len(pairs), 1))
    for name, pred in (("BlazeFace box as is", plain), ("shift + scale, 5-fold CV", cross_validated(1)),
                       ("7 coefficients, 5-fold CV", cross_validated(7)), ("shipped coefficients", sh)):
        e = landmark_error(pred)
        box = np.abs(pred - T).mean(0)
        print(f"{name:28s} box error (BlazeFace sides) cx {box[0]:.3f} cy {box[1]:.3f} side {box[2]:.3f}; "
              f"5 points vs dlib's box, IOD: mean {e.mean():.4f} median {np.median(e):.4f} "
              f"p95 {np.percentile(e, 95):.4f} max {e.max():.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--models", type=Path, default=default_model_dir())
    ap.add_argument("--quick", action="store_true", help="fewer timing repeats and large images")
    ap.add_argument("--calibrate", action="store_true", help="refit and check the dlib-box calibration")
    ap.add_argument("--only", default="", help="comma-separated candidate names")
    args = ap.parse_args()
    if not (args.faces / "labels.csv").is_file():
        sys.exit(f"no labelled photos at {args.faces}")
    models = ModelStore(args.models)
    rows = read_labels(args.faces)
    if args.calibrate:
        calibrate(args.faces, models, rows)
        return
    print(f"# {platform.processor() or platform.machine()}, {platform.python_version()}, one thread per candidate")
    photos = [(r, load(args.faces / r["file"])) for r in rows]
    fast = speed_set(args.faces, rows, 6 if args.quick else 12)
    large = large_set(args.faces, rows, 3 if args.quick else 100)
    det = FaceDetector(args.models, min_face=32, threads=1)
    candidates: dict[str, Callable[[], Detect]] = {
        "dlib-hog-up0": lambda: dlib_hog(0),
        "dlib-hog-up1": lambda: dlib_hog(1),
        "blazeface-full-192": lambda: blazeface_stock(models),
        "blazeface-short-128": lambda: blazeface_short(models),
        "mtcnn-min32": lambda: mtcnn(models),
        "pyramid (no O-net)": lambda: pyramid_only(det),
        "faceprint": lambda: (lambda img: len(det.detect(img))),
    }
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    fns = {name: make() for name, make in candidates.items() if not only or name in only or name == "dlib-hog-up1"}
    results = measure(fns, photos, fast, large, 1 if args.quick else 3)
    table(results)
    print(f"\n640x480 set: {len(fast)} one-face photos; large set: {len(large)} images of 4000x3000; "
          "x hog1: max over the photo set of (candidate ms / dlib-hog-up1 ms), first call per canvas shape "
          "included; warm: the same on a second pass")


if __name__ == "__main__":
    main()
