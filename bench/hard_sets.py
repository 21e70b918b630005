"""Harder evaluation sets made from ../shared, seeded and reproducible (issue 15: every face in the crowd).

    python bench/hard_sets.py [--faces ../shared/faces] [--lfw ../shared/lfw] [--lfw-count 500] [--json OUT]

bench/evaluate.py runs it as its ``masked_crowds``, ``turned_copies`` and ``small_faces`` sections.
Nothing is written to disk: every image is made in memory from the photos each run (seed 15).

masked_crowds  every group photo of labels.csv (notes 'group') with a synthetic mask drawn on each of its
               faces, in three styles: ``plain`` (bench/synth_accessories.py's masks: its colours),
               ``dark`` (near-black cloth) and ``patterned`` (stripes, checks or dots in two colours).
               The faces are those the engine finds on the clean photo (the clean group recall is 1.000),
               the mask placed by the face mesh. A face counts as found when a detection's centre lies in
               its clean box (per photo at most faces_min or faces); recall over the labelled faces. Also
               the detections on the no-face photos (faces=0), upright and turned 90/180/270 (must be 0).
turned_copies  every upright one-face photo of labels.csv (known identity, no 'rotated' note) and
               ``--lfw-count`` LFW thumbnails (seeded pick, one per identity), turned 90, 180 and 270
               degrees clockwise: the largest face found, at the right ``optimal_rotation_angle`` (the
               engine's rotation: 360 - the turn), and matched to its upright source (same photo's face
               found upright: its calibrated score at least the default threshold, and no upright photo of
               another identity scores higher). ``ok``: all three.
small_faces    every group photo downscaled so its median face is 24, 32 and 40 pixels (dlib box side;
               only downscaling); recall of the clean faces per size bucket of their scaled side, with the
               engine's min_face (32 by default: faces down to 0.6 x min_face are kept).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faceprint.engine import Engine  # noqa: E402
from faceprint.engine._facemesh import MeshResult  # noqa: E402
from faceprint.engine.detection import PARTNER, PARTNERS, FaceDetector  # noqa: E402
from faceprint.engine.geometry import rotate_upright  # noqa: E402
from faceprint.engine.similarity import DEFAULT_THRESHOLD, similarity  # noqa: E402
from faceprint.engine.types import Box, Face, RGBImage  # noqa: E402
from synth_accessories import synth_mask  # noqa: E402

SEED = 15
TURNS = (90, 180, 270)
MASK_STYLES = ("plain", "dark", "patterned")
SMALL_SIDES = (24, 32, 40)
BUCKETS = ((0, 20), (20, 24), (24, 28), (28, 32), (32, 36), (36, 40), (40, 48), (48, 10_000))
# the outline of bench/synth_accessories.py's mask: from the nose bridge to under the chin
_LOWER = [93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323]


def load(path: Path) -> RGBImage:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def read_rows(faces_dir: Path) -> list[dict[str, Any]]:
    import csv

    with (faces_dir / "labels.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        m = re.search(r"faces_min=(\d+)", r["notes"])
        r["expected"] = int(m.group(1)) if m else int(r["faces"])
    return rows


@dataclass(slots=True)
class Reference:
    """A clean photo's faces (boxes and meshes) as the engine finds them."""

    name: str
    image: RGBImage
    boxes: list[Box]
    meshes: list[MeshResult]
    expected: int


def references(faces_dir: Path, engine: Engine) -> list[Reference]:
    out = []
    for r in read_rows(faces_dir):
        if "group" not in r["notes"]:
            continue
        image = load(faces_dir / r["file"])
        faces = engine.detect(image, attributes=False).faces
        meshes = [m for f in faces if (m := engine.analyzer.face_mesh(image, f)) is not None]
        out.append(Reference(r["file"], image, [f.box for f in faces], meshes, r["expected"]))
    return out


# -- masks ------------------------------------------------------------------------------------------


def _mask_alpha(shape: tuple[int, ...], mesh: MeshResult) -> np.ndarray:
    p = mesh.points[:, :2]
    centre = p[1]
    pts = [tuple(map(float, p[i] + (p[i] - centre) * 0.06)) for i in _LOWER]
    pts += [tuple(map(float, p[i])) for i in (351, 6, 122)]
    alpha = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(alpha).polygon(pts, fill=255)
    return np.asarray(alpha.filter(ImageFilter.GaussianBlur(0.8)), np.float64)[..., None] / 255.0


def _pattern(shape: tuple[int, ...], mesh: MeshResult, rng: np.random.Generator) -> np.ndarray:
    """Two-colour stripes, checks or dots, their period a fraction of the eye distance."""
    h, w = shape[:2]
    p = mesh.points[:, :2]
    period = max(3.0, float(np.hypot(*(p[263] - p[33]))) * rng.uniform(0.15, 0.35))
    palette = [(200, 30, 40), (30, 60, 140), (240, 240, 235), (20, 20, 25), (240, 200, 40), (40, 130, 70)]
    i, j = rng.choice(len(palette), 2, replace=False)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    a = rng.uniform(0, math.pi)
    u = (xx * math.cos(a) + yy * math.sin(a)) / period
    v = (-xx * math.sin(a) + yy * math.cos(a)) / period
    kind = int(rng.integers(3))
    if kind == 0:
        on = (np.floor(u) % 2) == 0
    elif kind == 1:
        on = ((np.floor(u) + np.floor(v)) % 2) == 0
    else:
        on = np.hypot(u - np.round(u), v - np.round(v)) < 0.3
    return np.where(on[..., None], np.array(palette[i], np.float64), np.array(palette[j], np.float64))


def draw_mask(image: RGBImage, mesh: MeshResult, style: str, rng: np.random.Generator) -> RGBImage:
    """``image`` with a mask of ``style`` (plain, dark, patterned) on the face of ``mesh``."""
    if style == "plain":
        return synth_mask(image, mesh, rng)
    a = _mask_alpha(image.shape, mesh)
    h = image.shape[0]
    shade = np.linspace(1.05, 0.85, h)[:, None, None] * rng.uniform(0.9, 1.05)
    if style == "dark":
        layer = np.full(image.shape, rng.uniform(12, 40), np.float64) * shade
        layer += rng.normal(0, 2.0, image.shape)
    else:
        layer = _pattern(image.shape, mesh, rng) * shade + rng.normal(0, 3.0, image.shape)
    return np.clip(image * (1 - a) + np.clip(layer, 0, 255) * a, 0, 255).astype(np.uint8)


def _found(boxes: list[Box], faces: list[Face], cap: int) -> int:
    """Reference faces whose box holds the centre of a detection (each detection used once), capped."""
    used: set[int] = set()
    hit = 0
    for b in boxes:
        for k, f in enumerate(faces):
            cx, cy = f.box.center
            if k not in used and b.left <= cx <= b.right and b.top <= cy <= b.bottom:
                used.add(k)
                hit += 1
                break
    return min(hit, cap)


def masked_crowds(faces_dir: Path, engine: Engine, refs: list[Reference]) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    out: dict[str, Any] = {}
    total_l = total_f = 0
    for style in MASK_STYLES:
        labelled = found = 0
        for ref in refs:
            image = ref.image
            for mesh in ref.meshes:
                image = draw_mask(image, mesh, style, rng)
            faces = engine.detect(image, attributes=False).faces
            labelled += ref.expected
            found += _found(ref.boxes, faces, ref.expected)
        out[f"{style}_recall"] = found / labelled if labelled else 0.0
        total_l += labelled
        total_f += found
    out["labelled_faces"] = total_l
    out["found"] = total_f
    out["recall"] = total_f / total_l if total_l else 0.0
    noface = [r for r in read_rows(faces_dir) if r["faces"] == "0"]
    dets = 0
    for r in noface:
        image = load(faces_dir / r["file"])
        for t in (0, *TURNS):
            dets += len(engine.detect(rotate_upright(image, t), attributes=False).faces)
    out["noface_images"] = len(noface)
    out["noface_detections_all_turns"] = dets
    return out


# -- turned copies ----------------------------------------------------------------------------------


def turned_sources(faces_dir: Path, lfw_dir: Path | None, lfw_count: int) -> list[tuple[str, str, Path]]:
    """``(name, identity, path)`` of the upright sources: the one-face photos, then the LFW pick."""
    out = []
    for r in read_rows(faces_dir):
        if r["faces"] == "1" and r["identity"] not in ("", "unknown") and "rotated" not in r["notes"]:
            out.append((r["file"], r["identity"].replace("_", " "), faces_dir / r["file"]))
    if lfw_dir is not None and (lfw_dir / "images").is_dir() and lfw_count > 0:
        by_id: dict[str, Path] = {}
        for p in sorted((lfw_dir / "images").iterdir()):
            by_id.setdefault(p.stem.rsplit("_", 1)[0], p)
        ids = sorted(by_id)
        pick = np.random.default_rng(SEED).choice(len(ids), min(lfw_count, len(ids)), replace=False)
        out += [(f"lfw/{by_id[ids[i]].name}", ids[i].replace("_", " "), by_id[ids[i]]) for i in sorted(pick)]
    return out


def turned_copies(faces_dir: Path, lfw_dir: Path | None, engine: Engine, lfw_count: int = 500,
                  failures: list[str] | None = None) -> dict[str, Any]:
    pack = engine.default_pack
    score_map = engine.packs[pack].score_map
    sources = turned_sources(faces_dir, lfw_dir, lfw_count)
    upright: dict[str, tuple[str, np.ndarray]] = {}
    images: dict[str, RGBImage] = {}
    for name, identity, path in sources:
        image = load(path)
        try:
            face, _ = engine.largest_face(image, attributes=False, packs=[pack])
        except Exception:  # no upright face: not a usable source
            continue
        assert face.embedding is not None
        upright[name] = (identity, face.embedding)
        images[name] = image
    names = list(upright)
    mat = np.stack([upright[n][1] for n in names])
    ids = np.array([upright[n][0] for n in names])
    res: dict[str, Any] = {"sources": len(sources), "sources_found_upright": len(names),
                           "lfw_sources": sum(1 for n in names if n.startswith("lfw/"))}
    for part, sel in (("faces", lambda n: not n.startswith("lfw/")), ("lfw", lambda n: n.startswith("lfw/"))):
        cases = found = angle = matched = ok = 0
        for i, name in enumerate(names):
            if not sel(name):
                continue
            for t in TURNS:
                cases += 1
                turned = rotate_upright(images[name], t)
                try:
                    face, result = engine.largest_face(turned, attributes=False, packs=[pack])
                except Exception:
                    if failures is not None:
                        failures.append(f"{name} turned {t}: no face")
                    continue
                found += 1
                assert face.embedding is not None
                good_angle = result.rotation == (360 - t) % 360
                sims = mat @ face.embedding
                own = score_map.score(similarity(face.embedding, mat[i]))
                others = sims[ids != ids[i]]
                best_other = score_map.score(float(others.max())) if len(others) else 0.0
                good_match = own >= DEFAULT_THRESHOLD and own >= best_other
                angle += good_angle
                matched += good_match
                ok += good_angle and good_match
                if failures is not None and not (good_angle and good_match):
                    failures.append(f"{name} turned {t}: rotation {result.rotation}, score {own:.3f}, "
                                    f"best other {best_other:.3f}, box {face.box.width:.0f}")
        res[part] = {"cases": cases, "found": found, "right_angle": angle, "matched": matched, "ok": ok,
                     "ok_rate": ok / cases if cases else 0.0}
    total = res["faces"]["cases"] + res["lfw"]["cases"]
    res["ok_rate"] = (res["faces"]["ok"] + res["lfw"]["ok"]) / total if total else 0.0
    return res


# -- small faces ------------------------------------------------------------------------------------


def small_faces(engine: Engine, refs: list[Reference]) -> dict[str, Any]:
    hits = {b: [0, 0] for b in BUCKETS}
    per_side: dict[str, Any] = {}
    for side in SMALL_SIDES:
        labelled = found = 0
        for ref in refs:
            if not ref.boxes:
                continue
            scale = side / float(np.median([b.width for b in ref.boxes]))
            if scale >= 1.0:
                continue
            h, w = ref.image.shape[:2]
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = np.asarray(Image.fromarray(ref.image).resize(size, Image.Resampling.LANCZOS))
            faces = engine.detect(small, attributes=False).faces
            boxes = [b.scaled(scale) for b in ref.boxes]
            for b in boxes:
                hit = _found([b], faces, 1)
                bucket = next(k for k in BUCKETS if k[0] <= b.width < k[1])
                hits[bucket][0] += 1
                hits[bucket][1] += hit
                labelled += 1
                found += hit
        per_side[f"median_{side}px_recall"] = found / labelled if labelled else 0.0
        per_side[f"median_{side}px_faces"] = labelled
    buckets = {f"{lo}-{hi if hi < 10_000 else 'up'}px": {"faces": n, "found": f, "recall": f / n if n else 0.0}
               for (lo, hi), (n, f) in hits.items()}
    return {"min_face": engine.detector.min_face, **per_side, "by_size": buckets}


def with_partner(engine: Engine, partner: str) -> None:
    """The engine's detector swapped for one with YuNet in ``partner``'s part (for comparisons)."""
    if partner != engine.detector.partner:
        engine.detector = FaceDetector(engine.model_dir, engine.detector.min_face, 1, partner)


def evaluate_hard(faces_dir: Path, lfw_dir: Path | None, engine: Engine, lfw_count: int = 500) -> dict[str, Any]:
    """The three sections, keyed as bench/evaluate.py reports them."""
    refs = references(faces_dir, engine)
    return {
        "masked_crowds": masked_crowds(faces_dir, engine, refs),
        "turned_copies": turned_copies(faces_dir, lfw_dir, engine, lfw_count),
        "small_faces": small_faces(engine, refs),
    }


def main() -> int:
    from faceprint.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw")
    ap.add_argument("--lfw-count", type=int, default=500)
    ap.add_argument("--only", default="masked_crowds,turned_copies,small_faces")
    ap.add_argument("--failures", action="store_true", help="list the turned copies that fail")
    ap.add_argument("--partner", choices=PARTNERS, default=PARTNER, help="YuNet's part in detection")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    engine = Engine.from_settings(Settings(inference_threads=1))
    with_partner(engine, args.partner)
    only = set(args.only.split(","))
    refs = references(args.faces, engine) if only & {"masked_crowds", "small_faces"} else []
    res: dict[str, Any] = {}
    failures: list[str] = []
    if "masked_crowds" in only:
        res["masked_crowds"] = masked_crowds(args.faces, engine, refs)
        print(json.dumps(res["masked_crowds"]), flush=True)
    if "small_faces" in only:
        res["small_faces"] = small_faces(engine, refs)
        print(json.dumps(res["small_faces"]), flush=True)
    if "turned_copies" in only:
        lfw = args.lfw if args.lfw.is_dir() else None
        res["turned_copies"] = turned_copies(args.faces, lfw, engine, args.lfw_count, failures)
        print(json.dumps(res["turned_copies"]), flush=True)
    if args.failures:
        print("\n".join(failures))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
