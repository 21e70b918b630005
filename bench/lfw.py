"""LFW View 2 (folds 1-8) per recogniser pack, and the packs' score calibration.

    python bench/lfw.py [--lfw ../shared/lfw] [--packs dlib-resnet-v1,sface-2021dec] [--workers 2]
                        [--json OUT] [--write-calibration [PACKS]]

Every image in ``pairs.csv`` goes through the real engine (detection, landmarks, the pack's alignment and
descriptor; the largest face), in ``--workers`` processes of one thread each. Then, per pack:

accuracy     LFW's protocol over the 8 folds: for each fold, the cosine threshold that maximises accuracy on
             the other 7 folds, applied to this fold; mean and standard deviation of the 8 accuracies. A pair
             with an image whose face was not found counts as an error.
tar_far_1e-3 the threshold over all 2,364 different-person pairs (the highest-scoring 2 may pass), and the
             share of same-person pairs at or above it (a pair without a face is not accepted).
calibration  the pack's score map fitted on every cross-identity pair among the images of folds 1-4 (their
             identities: LFW's folds are disjoint in identities), and the false-accept rate that each
             calibrated score (0.94 / 0.955 / 0.97 / 0.98 for 1e-2 .. 1e-5) gives on the held-out
             identities of folds 5-8 (every cross-identity pair among their images). ``--write-calibration``
             records the fit in src/faceprint/engine/manifest.json as the pack's next calibration.

The accuracy and TAR figures do not depend on the calibration (it is a monotone map of the cosine).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from faceprint.engine.recognizers.calibration import far_at, fit, impostor_cosines  # noqa: E402
from faceprint.engine.recognizers.packs import FAR_SCORES  # noqa: E402

CAL_FOLDS = (1, 2, 3, 4)
_WORKER: Any = None


def read_pairs(lfw: Path) -> list[tuple[int, str, str, int]]:
    with (lfw / "pairs.csv").open(newline="") as f:
        return [(int(r["fold"]), r["file_a"], r["file_b"], int(r["same"])) for r in csv.DictReader(f)]


def identity(file: str) -> str:
    """``images/Aaron_Peirsol_0001.jpg`` -> ``Aaron_Peirsol``."""
    return re.sub(r"_\d+$", "", Path(file).stem)


def _init(packs: Sequence[str]) -> None:
    global _WORKER
    from faceprint.engine import Engine
    from faceprint.settings import Settings

    _WORKER = (Engine.from_settings(Settings(inference_threads=1)), list(packs))


def _describe(path: str) -> tuple[str, dict[str, np.ndarray] | None, float]:
    from faceprint.errors import FaceprintError

    engine, packs = _WORKER
    t0 = time.perf_counter()
    try:
        face, _ = engine.largest_face(Path(path).read_bytes(), attributes=False, packs=packs)
    except FaceprintError:
        return path, None, 0.0
    return path, dict(face.embeddings), (time.perf_counter() - t0) * 1000


def describe(lfw: Path, files: Sequence[str], packs: Sequence[str], workers: int) -> dict[str, dict[str, np.ndarray]]:
    """``{pack: {file: unit descriptor}}`` of the largest face of each file (absent: no face found)."""
    out: dict[str, dict[str, np.ndarray]] = {p: {} for p in packs}
    paths = [str(lfw / f) for f in files]
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(list(packs),)) as pool:
        for i, (path, vecs, _) in enumerate(pool.imap_unordered(_describe, paths, chunksize=16)):
            if vecs is not None:
                rel = str(Path(path).relative_to(lfw))
                for p in packs:
                    out[p][rel] = vecs[p]
            if (i + 1) % 1000 == 0:
                print(f"  {i + 1}/{len(paths)} images, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


def kfold_accuracy(cos: np.ndarray, same: np.ndarray, folds: np.ndarray, found: np.ndarray) -> list[float]:
    """Per fold: accuracy at the threshold that maximises accuracy on the other folds (no face = error)."""
    accs = []
    for k in sorted(set(folds.tolist())):
        train = (folds != k) & found
        cands = np.unique(cos[train])
        best_t, best = 0.0, -1
        for t in cands:
            correct = int(((cos[train] >= t) == (same[train] == 1)).sum())
            if correct > best:
                best, best_t = correct, float(t)
        test = folds == k
        ok = ((cos[test] >= best_t) == (same[test] == 1)) & found[test]
        accs.append(float(ok.mean()))
    return accs


def tar_at_far(cos: np.ndarray, same: np.ndarray, found: np.ndarray, far: float) -> float:
    impostors = np.sort(cos[(same == 0) & found])[::-1]
    allowed = int(np.floor(far * int((same == 0).sum())))
    t = float(np.nextafter(impostors[allowed], np.inf)) if allowed < len(impostors) else -1.0
    genuine = (same == 1)
    return float(((cos >= t) & found & genuine).sum() / genuine.sum())


def evaluate_pack(pairs: list[tuple[int, str, str, int]], vecs: dict[str, np.ndarray], next_cal: int) -> dict[str, Any]:
    folds = np.array([p[0] for p in pairs])
    same = np.array([p[3] for p in pairs])
    found = np.array([p[1] in vecs and p[2] in vecs for p in pairs])
    cos = np.array([float(vecs[a] @ vecs[b]) if ok else -1.0 for (_, a, b, _), ok in zip(pairs, found, strict=True)])
    accs = kfold_accuracy(cos, same, folds, found)
    files = sorted({f for p in pairs for f in p[1:3]})
    cal_ids = {identity(f) for p in pairs if p[0] in CAL_FOLDS for f in p[1:3]}
    split: dict[bool, list[str]] = {True: [], False: []}
    for f in files:
        if f in vecs:
            split[identity(f) in cal_ids].append(f)
    fitted: dict[bool, np.ndarray] = {}
    for part, names in split.items():
        fitted[part] = impostor_cosines(np.stack([vecs[f] for f in names]), [identity(f) for f in names])
    cal = fit(fitted[True], next_cal, f"LFW folds {CAL_FOLDS[0]}-{CAL_FOLDS[-1]} identities, 150x150 thumbnails "
              f"({len(split[True])} images)")
    held = {f"{far:g}": {"score": score, "heldout_far": far_at(fitted[False], cal.cosines[far]),
                         "measured": far in cal.measured}
            for far, score in FAR_SCORES.items()}
    return {
        "pairs": len(pairs), "pairs_without_face": int((~found).sum()),
        "images_without_face": len([f for f in files if f not in vecs]),
        "accuracy_mean": float(np.mean(accs)), "accuracy_std": float(np.std(accs)), "fold_accuracy": accs,
        "accuracy_folds_5_8": float(np.mean(accs[4:])),
        "tar_at_far_1e-3": tar_at_far(cos, same, found, 1e-3),
        "tar_at_far_1e-2": tar_at_far(cos, same, found, 1e-2),
        "calibration": {"knots": [list(k) for k in cal.score_map.knots], "fitted_on": cal.score_map.fitted_on,
                        "impostor_pairs": cal.impostor_pairs, "heldout_impostor_pairs": len(fitted[False]),
                        "heldout": held},
        "_score_map": cal.score_map,
    }


def write_calibration(pack: str, score_map: Any) -> None:
    path = REPO / "src" / "faceprint" / "engine" / "manifest.json"
    manifest = json.loads(path.read_text())
    for entry in manifest["recognizers"]:
        if entry["name"] == pack:
            entry.setdefault("calibrations", []).append(score_map.to_json())
            entry["calibration"] = score_map.version
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


def run(lfw: Path, packs: Sequence[str], workers: int) -> dict[str, Any]:
    from faceprint.engine.recognizers.packs import load_packs

    specs = load_packs()
    pairs = read_pairs(lfw)
    files = sorted({f for p in pairs for f in p[1:3]})
    t0 = time.perf_counter()
    vecs = describe(lfw, files, packs, workers)
    took = time.perf_counter() - t0
    out: dict[str, Any] = {"images": len(files), "seconds": took}
    for p in packs:
        out[p] = evaluate_pack(pairs, vecs[p], max(specs[p].score_maps) + 1)
    return out


def print_table(res: dict[str, Any], packs: Sequence[str]) -> None:
    print(f"LFW View 2, folds 1-8: {res['images']} images in {res['seconds']:.0f} s")
    print(f"{'pack':18s} {'8-fold acc':>16s} {'folds 5-8':>9s} {'TAR@1e-3':>8s} {'TAR@1e-2':>8s} {'no face':>7s}")
    for p in packs:
        r = res[p]
        print(f"{p:18s} {100 * r['accuracy_mean']:7.2f} % +- {100 * r['accuracy_std']:.2f} "
              f"{100 * r['accuracy_folds_5_8']:8.2f}% {r['tar_at_far_1e-3']:8.3f} {r['tar_at_far_1e-2']:8.3f} "
              f"{r['images_without_face']:7d}")
    print("calibration (fitted on folds 1-4 identities; FAR measured on the held-out folds 5-8 identities)")
    for p in packs:
        c = res[p]["calibration"]
        cells = ", ".join(f"{h['score']:.3f} -> {h['heldout_far']:.1e}" for h in c["heldout"].values())
        print(f"  {p:18s} {c['impostor_pairs']} fit pairs, {c['heldout_impostor_pairs']} held-out pairs: {cells}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw")
    ap.add_argument("--packs", default="dlib-resnet-v1,sface-2021dec")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--write-calibration", nargs="?", const="*", default=None, metavar="PACKS",
                    help="record the fit of each pack (or of the comma-separated PACKS only) in manifest.json as "
                    "its next calibration")
    args = ap.parse_args()
    if not (args.lfw / "pairs.csv").is_file():
        print(f"no pairs.csv in {args.lfw}", file=sys.stderr)
        return 2
    packs = [p for p in args.packs.split(",") if p]
    res = run(args.lfw, packs, args.workers)
    print_table(res, packs)
    if args.write_calibration is not None:
        chosen = packs if args.write_calibration == "*" else args.write_calibration.split(",")
        for p in chosen:
            write_calibration(p, res[p]["_score_map"])
    for p in packs:
        res[p].pop("_score_map")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
