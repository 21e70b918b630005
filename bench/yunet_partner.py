"""YuNet as BlazeFace's partner: the fit of its dlib-like box, and its candidates' scores on the sets.

    python bench/yunet_partner.py --calibrate     # refit YUNET_CAL (src/faceprint/engine/detection.py)
    python bench/yunet_partner.py --margins       # the data behind TURN_MARGIN and YUNET_*MARGIN
    python bench/yunet_partner.py --alone         # YuNet alone on the ordinary photos and the hard sets

--alone: YuNet as the only detector (score >= 0.6, NMS 0.3, on the photo itself padded to a multiple of 32,
or on the 640x480 canvas the engine uses), counted by the rules of bench/evaluate.py (ordinary photos) and
bench/hard_sets.py (masked crowds, small faces; the clean faces are the engine's), and its upright hits
on the one-face photos turned 90/180/270 (the engine turns a photo only when no upright face is found).

--margins: the O-net's logits of each candidate's crop as it stands and turned 90/180/270 (its margin: the
first less the best of the others), for BlazeFace's candidates the O-net passes (>= 0.9) and YuNet's
(>= 0.6) that no BlazeFace candidate covers, on: the upright one-face photos of ../shared/faces and 150 LFW
thumbnails of identities *not* in bench/hard_sets.py's pick (seed 16), each as it is ("good") and turned
90/180/270 ("bad": a face found there is the wrong way up), and the group photos with masks of the three
styles ("masked"). Prints how many of each pass per margin and score threshold.

--calibrate matches YuNet's faces (score >= 0.6, IoU >= 0.5) with the faces the BlazeFace detector
verifies on every photo of ../shared/faces (upright, EXIF applied), and fits by least squares (ridge 1e-3)
the same linear map as BlazeFace's calibration (features: YuNet's box and its eye centre, mouth centre,
half eye vector; targets: the detector's dlib-like box centre and side), 5-fold cross-validated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faceprint.engine._nms import iou_matrix  # noqa: E402
from faceprint.engine._yunet import keypoints6  # noqa: E402
from faceprint.engine.detection import FaceDetector, calibration_features, upright_points  # noqa: E402
from faceprint.settings import default_model_dir  # noqa: E402
from hard_sets import load, read_rows  # noqa: E402


def calibrate(faces: Path) -> None:
    det = FaceDetector(default_model_dir(), 32, 1)
    assert det.yunet is not None
    feats, targets = [], []
    for r in read_rows(faces):
        image = load(faces / r["file"])
        found = det.blazeface_detect(image)
        raw = det.yunet.detect(image, 0.6)
        if not found or not len(raw):
            continue
        ours = np.array([[d.box.left, d.box.top, d.box.right, d.box.bottom] for d in found], np.float32)
        iou = iou_matrix(raw.boxes, ours)
        for i in range(len(raw)):
            j = int(np.argmax(iou[i]))
            if iou[i, j] < 0.5:
                continue
            b = raw.boxes[i : i + 1]
            f = calibration_features(b, keypoints6(raw.points[i : i + 1]))[0]
            side = float((b[0, 2] - b[0, 0] + b[0, 3] - b[0, 1]) / 2)
            c = (b[0, 0:2] + b[0, 2:4]) / 2
            d = found[j].box
            cx, cy = d.left + (d.width - 1) / 2, d.top + (d.height - 1) / 2
            feats.append(f)
            targets.append([(cx - c[0]) / side, (cy - c[1]) / side, d.width / side])
    x, y = np.array(feats), np.array(targets)
    print(f"{len(x)} matched faces")

    def fit(xa: np.ndarray, ya: np.ndarray) -> np.ndarray:
        return np.linalg.solve(xa.T @ xa + 1e-3 * np.eye(xa.shape[1]), xa.T @ ya).T

    folds = np.arange(len(x)) % 5
    err = []
    for k in range(5):
        coef = fit(x[folds != k], y[folds != k])
        err.append(np.abs(x[folds == k] @ coef.T - y[folds == k]))
    e = np.concatenate(err)
    mx, my, ms = (float(v) for v in e.mean(0))
    print(f"cross-validated mean abs error (box sides): centre x {mx:.4f}, y {my:.4f}, side {ms:.4f}")
    coef = fit(x, y)
    print("YUNET_CAL = np.array([")
    for row, name in zip(coef, ("centre x", "centre y", "side"), strict=True):
        print("    [" + ", ".join(f"{v:.5f}" for v in row) + f"],  # {name}")
    print("], np.float64)")


def _probe(det: FaceDetector, img: np.ndarray, label: str, rows: list[dict[str, Any]]) -> None:
    from PIL import Image

    from faceprint.engine.detection import VERIFY_SCORE, YUNET_CAL, dlib_boxes

    assert det.yunet is not None
    pil = Image.fromarray(img)
    c = det.candidates(img)
    centres: list[np.ndarray] = []
    if len(c):
        ok = det._onet(pil, c.boxes)[0] >= VERIFY_SCORE
        for s, lg, b in zip(c.scores[ok], det._onet.turn_logits(pil, c.boxes[ok]), c.boxes[ok], strict=True):
            rows.append({"kind": "BF", "label": label, "score": float(s), "logits": lg.tolist()})
            centres.append(np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, (b[2] - b[0]) / 3]))
    r = det.yunet.detect(img, 0.6)
    if not len(r):
        return
    b = dlib_boxes(r.boxes, keypoints6(r.points), YUNET_CAL)
    sq = np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], 1).astype(np.float32)
    for i, lg in enumerate(det._onet.turn_logits(pil, sq)):
        cx, cy = (r.boxes[i, 0] + r.boxes[i, 2]) / 2, (r.boxes[i, 1] + r.boxes[i, 3]) / 2
        if any(np.hypot(cx - c_[0], cy - c_[1]) < c_[2] for c_ in centres):
            continue
        rows.append({"kind": "YN", "label": label, "score": float(r.scores[i]), "logits": lg.tolist(),
                     "up": bool(upright_points(r.points[i]))})


def margins(faces: Path, lfw: Path) -> None:
    from faceprint.engine import Engine
    from faceprint.engine.geometry import rotate_upright
    from faceprint.settings import Settings
    from hard_sets import draw_mask, references, turned_sources

    engine = Engine.from_settings(Settings(inference_threads=1))
    det = engine.detector
    rows: list[dict[str, Any]] = []
    evaluated = {n for n, _, _ in turned_sources(faces, lfw, 500)}
    sources = [s for s in turned_sources(faces, None, 0)]
    by_id: dict[str, Path] = {}
    for p in sorted((lfw / "images").iterdir()):
        if f"lfw/{p.name}" not in evaluated:
            by_id.setdefault(p.stem.rsplit("_", 1)[0], p)
    ids = sorted(by_id)
    pick = np.random.default_rng(16).choice(len(ids), 150, replace=False)
    sources += [(by_id[ids[i]].name, ids[i], by_id[ids[i]]) for i in sorted(pick)]
    for _, _, path in sources:
        image = load(path)
        for t in (0, 90, 180, 270):
            _probe(det, rotate_upright(image, t), "good" if t == 0 else "bad", rows)
    rng = np.random.default_rng(7)
    for ref in references(faces, engine):
        for style in ("plain", "dark", "patterned"):
            img = ref.image
            for m in ref.meshes:
                img = draw_mask(img, m, style, rng)
            _probe(det, img, "masked", rows)

    def margin(lg: list[float]) -> float:
        return lg[0] - max(lg[1:])

    for kind, scores in (("BF", (0.5, 0.6)), ("YN", (0.6, 0.7, 0.8))):
        for m in (-2.0, -1.0, 0.0, 1.0, 2.0):
            for least in scores:
                parts = []
                for label in ("good", "bad", "masked"):
                    sel = [r for r in rows if r["kind"] == kind and r["label"] == label]
                    n = sum(1 for r in sel if margin(r["logits"]) > m and r["score"] >= least and r.get("up", True))
                    parts.append(f"{label} {n}/{len(sel)}")
                print(f"{kind} margin > {m:4.1f}, score >= {least:.2f}: " + " | ".join(parts))


class _Alone:
    """YuNet alone, as an engine's ``detect`` for hard_sets' counting (faces with a box only)."""

    def __init__(self, det: FaceDetector, canvas: tuple[int, int] | None) -> None:
        self.det, self.canvas = det, canvas

    def boxes(self, image: np.ndarray) -> list[Any]:
        from faceprint.engine.types import Box, Face

        assert self.det.yunet is not None
        h, w = image.shape[:2]
        canvas = self.canvas or (-(-max(w, h) // 32) * 32, -(-min(w, h) // 32) * 32)
        raw = self.det.yunet.detect(image, 0.6, canvas)
        return [Face(box=Box(float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])), score=float(s))
                for s, b in zip(raw.scores, raw.boxes, strict=True)]


def alone(faces: Path) -> None:
    import hard_sets
    from evaluate import detection_figures
    from faceprint.engine import Engine
    from faceprint.engine.geometry import rotate_upright
    from faceprint.settings import Settings

    engine = Engine.from_settings(Settings(inference_threads=1))
    refs = hard_sets.references(faces, engine)
    rows = hard_sets.read_rows(faces)
    for canvas in (None, (640, 480)):
        yn = _Alone(engine.detector, canvas)
        det_rows = [(r, len(yn.boxes(load(faces / r["file"])))) for r in rows]
        ordinary = detection_figures(det_rows)
        sideways = sum(1 for r in rows if r["faces"] == "1" and "rotated" not in r["notes"]
                       for t in (90, 180, 270) if yn.boxes(rotate_upright(load(faces / r["file"]), t)))
        rng = np.random.default_rng(hard_sets.SEED)
        lab = hit = 0
        for style in hard_sets.MASK_STYLES:
            for ref in refs:
                img = ref.image
                for m in ref.meshes:
                    img = hard_sets.draw_mask(img, m, style, rng)
                lab += ref.expected
                hit += hard_sets._found(ref.boxes, yn.boxes(img), ref.expected)
        print(f"YuNet alone, canvas {canvas or 'the photo'}: recall {ordinary['recall']:.3f}, group "
              f"{ordinary['group_recall']:.3f}, false positives {ordinary['false_positives']}, no-face photos "
              f"with detections {ordinary['noface_images_with_detections']}, upright hits on turned one-face "
              f"copies {sideways}, masked crowds {hit}/{lab} = {hit / lab:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--margins", action="store_true")
    ap.add_argument("--alone", action="store_true")
    args = ap.parse_args()
    if args.calibrate:
        calibrate(args.faces)
    if args.margins:
        margins(args.faces, args.lfw)
    if args.alone:
        alone(args.faces)
    return 0


if __name__ == "__main__":
    sys.exit(main())
