"""YuNet as BlazeFace's partner: the fit of its dlib-like box, and its candidates' scores on the sets.

    python bench/yunet_partner.py --calibrate     # refit YUNET_CAL (src/faceprint/engine/detection.py)

--calibrate matches YuNet's faces (score >= 0.6, IoU >= 0.5) with the faces the BlazeFace detector
verifies on every photo of ../shared/faces (upright, EXIF applied), and fits by least squares (ridge 1e-3)
the same linear map as BlazeFace's calibration (features: YuNet's box and its eye centre, mouth centre,
half eye vector; targets: the detector's dlib-like box centre and side), 5-fold cross-validated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faceprint.engine._nms import iou_matrix  # noqa: E402
from faceprint.engine._yunet import keypoints6  # noqa: E402
from faceprint.engine.detection import FaceDetector, calibration_features  # noqa: E402
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args()
    if args.calibrate:
        calibrate(args.faces)
    return 0


if __name__ == "__main__":
    sys.exit(main())
