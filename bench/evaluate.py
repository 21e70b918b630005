"""The accuracy evaluation every engine change is judged by.

    python bench/evaluate.py [--faces DIR] [--packs sface-2021dec,dlib-resnet-v1] [--lfw DIR | --no-lfw]
                             [--json OUT]

DIR (default ../shared/faces) holds labels.csv (file, identity, faces, notes, ...) and pairs.csv
(file_a, file_b, same). Prints a table and writes the figures as JSON:

detection     labelled faces found (a face counts as found when a detection covers it; the labels give
              counts, so per image min(detections, expected), expected = faces_min from the notes where
              given, else faces); false positives = detections beyond faces_max/faces, all detections on
              no-face images
rotation      the rotated photos (notes 'rotated ...'): face found, and its best match among the other
              photos of the set (its own unrotated source excluded, unless it is the identity's only other
              photo) is its identity at the default threshold
recognition   per recogniser pack (--packs), on its calibrated scores: pairs.csv at the default threshold
              (0.955, FAR 1e-3); TAR at FAR 1e-2 / 1e-3 from pairs.csv's impostors; over every pair of the
              single-face upright photos: TAR at FAR 1e-3, FAR and TAR at 0.955; masked photos (notes 'mask':
              each one a different person) against everyone: FAR at 0.955 and the highest impostor score
lfw           LFW View 2, folds 1-8, per pack (bench/lfw.py: 8-fold accuracy, TAR at FAR 1e-3, calibration
              checked on held-out identities), when ../shared/lfw is present
lfw_attributes  per accessory attribute on the LFW thumbnails of the held-out people: positive rate and
              eye-checked precision (bench/lfw_attributes.py), when ../shared/lfw is present
masked_crowds, turned_copies, small_faces
              the harder sets of bench/hard_sets.py (with the attribute sections; turned copies use ../lfw)
timing_ms     whole pipeline per image (decode excluded: detect + landmarks + descriptors), p50; descriptor
              per face, p50

Keys are only ever added, never renamed.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from faceprint.engine import Engine  # noqa: E402
from faceprint.engine.similarity import DEFAULT_THRESHOLD  # noqa: E402
from faceprint.settings import Settings  # noqa: E402


def read_labels(faces_dir: Path) -> list[dict[str, str]]:
    with (faces_dir / "labels.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def read_pairs(faces_dir: Path) -> list[tuple[str, str, int]]:
    with (faces_dir / "pairs.csv").open(newline="") as f:
        return [(r["file_a"], r["file_b"], int(r["same"])) for r in csv.DictReader(f)]


def _note_int(notes: str, key: str) -> int | None:
    m = re.search(rf"{key}=(\d+)", notes)
    return int(m.group(1)) if m else None


def source_of(name: str) -> str:
    """The unrotated photo a rotated copy was made from (deepface_img6_rot90.jpg -> deepface_img6)."""
    return re.sub(r"_(rot\d+|exif\d+)$", "", Path(name).stem)


def _far_threshold(impostor_scores: np.ndarray, far: float) -> float:
    """The smallest score threshold whose false-accept rate is at most ``far``."""
    s = np.sort(impostor_scores)[::-1]
    allowed = int(np.floor(far * len(s)))
    return float(s[allowed]) + 1e-7 if allowed < len(s) else 0.0


def detection_figures(det_rows: list[tuple[dict[str, str], int]]) -> dict[str, Any]:
    """Recall and false positives from (label row, number of detections) per image."""
    labelled = found_n = fp = noface_with = 0
    g_labelled = g_found = 0
    for row, n in det_rows:
        faces = int(row["faces"])
        notes = row["notes"]
        expected = _note_int(notes, "faces_min") or faces
        ceiling = _note_int(notes, "faces_max") or faces
        if faces == 0:
            fp += n
            noface_with += int(n > 0)
            continue
        hit = min(n, expected)
        labelled += expected
        found_n += hit
        fp += max(n - ceiling, 0)
        if "group" in notes:
            g_labelled += expected
            g_found += hit
    return {
        "labelled_faces": labelled,
        "found": found_n,
        "recall": found_n / labelled if labelled else 0.0,
        "false_positives": fp,
        "noface_images_with_detections": noface_with,
        "group_labelled_faces": g_labelled,
        "group_found": g_found,
        "group_recall": g_found / g_labelled if g_labelled else 0.0,
    }


def evaluate(faces_dir: Path, engine: Engine, packs: list[str] | None = None) -> dict[str, Any]:
    """Detection and timing once; verification, rotation and masked-pair figures per recogniser pack (each
    pack's own calibrated score map)."""
    packs = packs or [engine.default_pack]
    labels = read_labels(faces_dir)
    embeddings: dict[str, dict[str, np.ndarray]] = {p: {} for p in packs}
    per_image_ms: list[float] = []
    embed_ms: list[float] = []
    det_rows: list[tuple[dict[str, str], int]] = []
    for row in labels:
        raw = (faces_dir / row["file"]).read_bytes()
        pixels = engine.decode(raw)
        t0 = time.perf_counter()
        found = engine.detect(pixels, embed=True, attributes=False, packs=[packs[0]])
        per_image_ms.append((time.perf_counter() - t0) * 1000)
        if found.faces:
            embed_ms.append(found.timings.get("embed", 0.0) / len(found.faces))
            if len(packs) > 1:  # the other packs' descriptors of the same (largest) face
                face, _ = engine.largest_face(pixels, attributes=False, packs=packs)
                for p in packs:
                    embeddings[p][row["file"]] = face.embeddings[p]
            elif found.faces[0].embedding is not None:  # faces come largest first
                embeddings[packs[0]][row["file"]] = found.faces[0].embedding
        det_rows.append((row, len(found.faces)))
    out: dict[str, Any] = {
        "detection": detection_figures(det_rows),
        "timing_ms": {
            "per_image_p50": statistics.median(per_image_ms) if per_image_ms else 0.0,
            "per_face_embed_p50": statistics.median(embed_ms) if embed_ms else 0.0,
            "images": len(per_image_ms),
            "pack": packs[0],
        },
    }
    for p in packs:
        out[f"recognition {p}"] = recognition_figures(faces_dir, labels, embeddings[p], engine.packs[p].score_map)
    return out


def recognition_figures(
    faces_dir: Path, labels: list[dict[str, str]], embeddings: dict[str, np.ndarray], score_map: Any
) -> dict[str, Any]:
    identity = {r["file"]: r["identity"] for r in labels}
    notes = {r["file"]: r["notes"] for r in labels}
    single = {r["file"] for r in labels if r["faces"] == "1" and r["identity"] not in ("", "unknown")}

    def score(a: str, b: str) -> float:
        return score_map.score(float(np.dot(embeddings[a], embeddings[b])))

    rot_cases = [r["file"] for r in labels if "rotated" in r["notes"]]
    upright = sorted(f for f in single if f in embeddings and f not in rot_cases)
    rot_detected = rot_matched = 0
    for f in rot_cases:
        if f not in embeddings:
            continue
        rot_detected += 1
        others = [g for g in upright if source_of(g) != source_of(f)]
        if not any(identity[g] == identity[f] for g in others):
            others = [g for g in upright if g != f]  # the source is the identity's only other photo
        best = max(others, key=lambda g: score(f, g))
        if identity[best] == identity[f] and score(f, best) >= DEFAULT_THRESHOLD:
            rot_matched += 1

    pairs = read_pairs(faces_dir)
    usable = [(a, b, s) for a, b, s in pairs if a in embeddings and b in embeddings]
    ps = np.array([score(a, b) for a, b, _ in usable])
    ys = np.array([s for _, _, s in usable])
    # a pair whose face was not found counts as an error, whatever its label
    correct = int(((ps >= DEFAULT_THRESHOLD) == (ys == 1)).sum())
    accuracy = correct / len(pairs) if pairs else 0.0
    genuine, impostor = ps[ys == 1], ps[ys == 0]
    tar = {}
    for far in (1e-2, 1e-3):
        t = _far_threshold(impostor, far)
        tar[far] = float((genuine >= t).mean()) if len(genuine) else 0.0

    # every pair of the single-face upright photos: cross-identity pairs for the FAR, same-identity for the TAR
    names = upright
    mat = np.stack([embeddings[f] for f in names])
    sims = mat @ mat.T
    ids = np.array([identity[f] for f in names])
    iu = np.triu_indices(len(names), k=1)
    cross = ids[iu[0]] != ids[iu[1]]
    all_scores = np.array([score_map.score(float(c)) for c in sims[iu]])
    all_impostors, all_genuine = all_scores[cross], all_scores[~cross]
    t3 = _far_threshold(all_impostors, 1e-3)
    masked = np.array(["mask" in notes[f] for f in names])
    m_any = (masked[iu[0]] | masked[iu[1]]) & cross
    m_both = masked[iu[0]] & masked[iu[1]] & cross
    return {
        "rotation_cases": len(rot_cases), "rotation_detected": rot_detected, "rotation_matched": rot_matched,
        "pairs": len(pairs), "pairs_with_faces": len(usable), "threshold": DEFAULT_THRESHOLD,
        "pairs_accuracy": accuracy, "pairs_tar_at_far_1e-2": tar[1e-2], "pairs_tar_at_far_1e-3": tar[1e-3],
        "all_pairs_impostors": int(cross.sum()), "all_pairs_genuine": int((~cross).sum()),
        "all_pairs_tar_at_far_1e-3": float((all_genuine >= t3).mean()) if len(all_genuine) else 0.0,
        "all_pairs_far_at_threshold": float((all_impostors >= DEFAULT_THRESHOLD).mean()),
        "all_pairs_tar_at_threshold": float((all_genuine >= DEFAULT_THRESHOLD).mean()),
        "masked_impostor_pairs": int(m_any.sum()),
        "masked_far_at_threshold": float((all_scores[m_any] >= DEFAULT_THRESHOLD).mean()) if m_any.any() else 0.0,
        "masked_both_pairs": int(m_both.sum()),
        "masked_both_far_at_threshold": (
            float((all_scores[m_both] >= DEFAULT_THRESHOLD).mean()) if m_both.any() else 0.0),
        "masked_max_impostor_score": float(all_scores[m_any].max()) if m_any.any() else 0.0,
    }


def _extra_sections(faces_dir: Path, engine: Engine, out: dict[str, Any]) -> None:
    """The attribute and pose sections (bench/eval_attributes.py), when present."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import hard_sets

    out.update(hard_sets.evaluate_hard(faces_dir, faces_dir.parent / "lfw", engine))
    try:
        import eval_attributes
    except ImportError:
        return
    out["attributes"] = eval_attributes.evaluate_attributes(faces_dir, engine)
    out["pose"] = eval_attributes.evaluate_pose(faces_dir, engine)


def print_table(res: dict[str, Any]) -> None:
    for section, values in res.items():
        print(f"[{section}]")
        for k, v in values.items():
            if isinstance(v, dict):
                inner = ", ".join(f"{ik}={iv:.4f}" if isinstance(iv, float) else f"{ik}={iv}" for ik, iv in v.items())
                print(f"  {k:32s} {inner}")
            elif isinstance(v, float):
                print(f"  {k:32s} {v:.4f}")
            else:
                print(f"  {k:32s} {v}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=1, help="inference threads (default 1: one core)")
    ap.add_argument("--no-attributes", action="store_true", help="skip the attribute and pose sections")
    ap.add_argument("--packs", default="sface-2021dec,dlib-resnet-v1",
                    help="recogniser packs to report, comma-separated (the first one's timing is reported)")
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw",
                    help="LFW View 2 folder (pairs.csv, images/): its section runs when present (bench/lfw.py)")
    ap.add_argument("--no-lfw", action="store_true", help="skip the LFW section (several minutes)")
    args = ap.parse_args()
    if not (args.faces / "labels.csv").is_file():
        print(f"no labels.csv in {args.faces}", file=sys.stderr)
        return 2
    engine = Engine.from_settings(Settings(inference_threads=args.threads))
    packs = [p for p in args.packs.split(",") if p]
    res = evaluate(args.faces, engine, packs)
    if not args.no_attributes:
        _extra_sections(args.faces, engine, res)
    print_table(res)
    if not args.no_lfw and (args.lfw / "pairs.csv").is_file():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import lfw

        res["lfw"] = lfw.run(args.lfw, packs, workers=2)
        lfw.print_table(res["lfw"], packs)
        for p in packs:
            res["lfw"][p].pop("_score_map")
    if not args.no_attributes and not args.no_lfw and (args.lfw / "images").is_dir():
        import lfw_attributes  # accessory attributes on the LFW thumbnails, held-out people (issue 15)

        res["lfw_attributes"] = lfw_attributes.run(args.lfw, cache=None)
        lfw_attributes.print_table(res["lfw_attributes"])
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
