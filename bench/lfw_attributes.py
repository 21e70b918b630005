"""How often the accessory attributes fire on unseen photos: the LFW thumbnails in ../shared/lfw.

    .venv/bin/python bench/lfw_attributes.py [--lfw DIR] [--cache /tmp/faceprint_lfw_features.json]
    .venv/bin/python bench/lfw_attributes.py --sheets /tmp/sheets    # + contact sheets to check by eye
    .venv/bin/python bench/lfw_attributes.py --models-at d196952     # the coefficients before issue 15

LFW (6064 150x150 news thumbnails of 3349 people) shows mostly bare-headed, unmasked people: a cap, mask,
helmet or sunglasses reported there is mostly a false positive, and glasses and moustache/beard have a known
rate to compare with. The engine's largest face of each thumbnail is measured once (the accessory features
of its face mesh, as the engine computes them) and cached; the rates then need no engine (delete the cache
after a change to the engine or the features; bench/evaluate.py measures afresh).

The people are split identity-disjoint (a salted hash of the name in the file name) into a ``fit`` part, the
only part the accessory refit may use (bench/eval_attributes.py --fit --lfw-cache), and a ``held-out`` part, the
part every figure here is quoted on. Precision and recall are eye-checked:
``bench/annotations/lfw_attributes.csv`` holds our judgements by eye (file, attribute, true/false, sample):

- precision: of a seeded random 50 of the held-out positives of the coefficients measured (``sample``: a
  function of the set of positives only), the share eye-labelled true. ``--sheets`` writes the unlabelled
  thumbnails of each such sample as a numbered contact sheet (PNG) to label; ``eye_checked`` says how many
  of the sample carry a label (a figure over fewer than ``eye_sample`` is partial);
- recall: of the 100 seeded random held-out thumbnails eye-labelled for each attribute (sample
  ``random-held-out``), the share of those wearing it that the coefficients flag (a handful per attribute:
  rough).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from faceprint.engine._accessories import HELMET_OVER_CAP, MODELS, LogisticModel, accessory_features  # noqa: E402
from faceprint.engine._regions import FaceRegions  # noqa: E402

EYE_LABELS = REPO / "bench" / "annotations" / "lfw_attributes.csv"
DEFAULT_CACHE = Path("/tmp/faceprint_lfw_features.json")
#: The attributes as the engine reports them (attributes.py; see :func:`decide`).
ATTRIBUTES = ("mask", "sunglasses", "glasses", "mustache", "cap", "helmet")
SALT = "faceprint-lfw-attributes-v1"
SAMPLE_SEED = 15
SAMPLE_SIZE = 50


def identity(file: str) -> str:
    """The person of an LFW file name (George_W_Bush_0001.jpg -> George_W_Bush)."""
    return Path(file).stem.rsplit("_", 1)[0]


def part(file: str) -> str:
    """``fit`` or ``held-out``: half the people each, by a salted hash of the name (identity-disjoint)."""
    return "fit" if hashlib.sha1(f"{SALT}:{identity(file)}".encode()).digest()[0] % 2 == 0 else "held-out"


def collect(lfw_dir: Path, cache: Path | None = DEFAULT_CACHE) -> list[dict[str, Any]]:
    """Per thumbnail: file, found (a face with 5 points), and the accessory features of the largest face."""
    if cache is not None and cache.is_file():
        rows: list[dict[str, Any]] = json.loads(cache.read_text())
        return rows
    from faceprint.engine import Engine
    from faceprint.errors import NoFace
    from faceprint.settings import Settings

    engine = Engine.from_settings(Settings())
    analyzer = engine.analyzer
    rows = []
    files = sorted(p.name for p in (lfw_dir / "images").glob("*.jpg"))
    for i, name in enumerate(files):
        with Image.open(lfw_dir / "images" / name) as im:
            image = np.asarray(im.convert("RGB"), dtype=np.uint8)
        try:  # the engine's own path (largest face, in the upright image it measured)
            found, face = engine._largest(image, None, False)
        except NoFace:
            face = None
        if face is None or face.points5 is None:
            rows.append({"file": name, "found": False, "features": {}})
            continue
        mesh = analyzer.mesh.run(found.upright, face.points5, face.keypoints)
        rows.append({"file": name, "found": True, "box": round(float(face.box.width), 1),
                     "features": accessory_features(FaceRegions(mesh))})
        if i % 500 == 0:
            print(f"  {i}/{len(files)}", file=sys.stderr)
    if cache is not None:
        cache.write_text(json.dumps(rows))
    return rows


def decide(features: Mapping[str, float], models: Mapping[str, LogisticModel] = MODELS,
           headwear_rule: bool = True) -> dict[str, bool]:
    """Each attribute as the engine reports it (attributes.py: sunglasses over clear glasses; of cap and
    helmet, the helmet only when its probability reaches HELMET_OVER_CAP; ``headwear_rule=False``: the
    rule before issue 15, the helmet always)."""
    p = {k: m.probability(features) for k, m in models.items()}
    on = {k: p[k] >= m.threshold for k, m in models.items()}
    on["glasses"] = on["glasses"] and not on["sunglasses"]
    if on["cap"] and on["helmet"]:
        sure = p["helmet"] >= HELMET_OVER_CAP if headwear_rule else True
        on["cap"], on["helmet"] = not sure, sure
    return on


def eye_labels(path: Path = EYE_LABELS) -> dict[tuple[str, str], bool]:
    """(file, attribute) -> true/false as judged by eye."""
    if not path.is_file():
        return {}
    with path.open() as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return {(r["file"], r["attribute"]): r["true"] == "1" for r in csv.DictReader(rows)}


def random_labels(attribute: str, sample: str = "random-held-out", path: Path = EYE_LABELS) -> dict[str, bool]:
    """file -> true/false of ``attribute`` on the eye-labelled seeded random thumbnails of ``sample``."""
    if not path.is_file():
        return {}
    with path.open() as fh:
        rows = [line for line in fh if not line.startswith("#")]
    return {r["file"]: r["true"] == "1" for r in csv.DictReader(rows)
            if r["attribute"] == attribute and r["sample"] == sample}


def positives(rows: list[dict[str, Any]], attribute: str, which: str = "held-out",
              models: Mapping[str, LogisticModel] = MODELS) -> list[str]:
    return [r["file"] for r in rows if r["found"] and part(r["file"]) == which
            and decide(r["features"], models)[attribute]]


def sample(files: list[str], attribute: str, n: int = SAMPLE_SIZE, seed: int = SAMPLE_SEED) -> list[str]:
    """A seeded random ``n`` of ``files`` (sorted first, so the draw depends on the set only)."""
    rng = np.random.default_rng([seed, ATTRIBUTES.index(attribute)])
    pool = sorted(files)
    return sorted(rng.choice(pool, size=min(n, len(pool)), replace=False).tolist()) if pool else []


def figures(rows: list[dict[str, Any]], models: Mapping[str, LogisticModel] = MODELS,
            labels: Mapping[tuple[str, str], bool] | None = None, headwear_rule: bool = True) -> dict[str, Any]:
    """Per attribute on the held-out people: positive rate, and precision over the eye-labelled positives."""
    labels = eye_labels() if labels is None else labels
    held = [r for r in rows if part(r["file"]) == "held-out"]
    found = [r for r in held if r["found"]]
    out: dict[str, Any] = {"thumbnails": len(held), "faces": len(found),
                           "people": len({identity(r["file"]) for r in held})}
    dec = [decide(r["features"], models, headwear_rule) for r in found]
    by_file = {r["file"]: d for r, d in zip(found, dec, strict=True)}
    for a in ATTRIBUTES:
        pos = [f for f, d in by_file.items() if d[a]]
        drawn = sample(pos, a)  # the precision sample: a seeded 50 of these positives
        checked = [labels[(f, a)] for f in drawn if (f, a) in labels]
        worn = [f for f, yes in random_labels(a).items() if yes and f in by_file]
        out[a] = {"positives": len(pos), "positive_rate": len(pos) / len(found) if found else 0.0,
                  "eye_sample": len(drawn), "eye_checked": len(checked),
                  "eye_precision": float(np.mean(checked)) if checked else float("nan"),
                  "random_eye_positives": len(worn),
                  "random_eye_recall": float(np.mean([by_file[f][a] for f in worn])) if worn else float("nan")}
    return out


def contact_sheet(lfw_dir: Path, files: list[str], out: Path, cols: int = 10, cell: int = 150) -> None:
    """The thumbnails in a grid (10 x 5 for 50), each numbered from 0 in its top-left corner."""
    rows_n = (len(files) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * cell, max(rows_n, 1) * cell), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, f in enumerate(files):
        with Image.open(lfw_dir / "images" / f) as im:
            sheet.paste(im.convert("RGB").resize((cell, cell)), ((i % cols) * cell, (i // cols) * cell))
        x, y = (i % cols) * cell, (i // cols) * cell
        draw.rectangle((x, y, x + 22, y + 14), fill=(255, 255, 0))
        draw.text((x + 2, y + 1), str(i), fill=(0, 0, 0))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)


def write_sheets(lfw_dir: Path, rows: list[dict[str, Any]], out_dir: Path, which: str = "held-out") -> None:
    """For each attribute: the thumbnails of its precision sample (a seeded 50 of its positives) not yet
    eye-labelled, as a numbered sheet and a file list."""
    labels = eye_labels()
    for a in ATTRIBUTES:
        files = [f for f in sample(positives(rows, a, which), a) if (f, a) not in labels]
        if not files:
            continue
        contact_sheet(lfw_dir, files, out_dir / f"{which}_{a}.png")
        (out_dir / f"{which}_{a}.txt").write_text("\n".join(files) + "\n")
        print(f"  {a}: {len(files)} unlabelled thumbnails of the sample -> {out_dir / f'{which}_{a}.png'}")


def models_at(rev: str) -> tuple[dict[str, LogisticModel], bool]:
    """The accessory models of _accessories.py at git revision ``rev`` (e.g. the coefficients before issue
    15: ``d196952``), and whether that revision had the cap-over-helmet rule (HELMET_OVER_CAP)."""
    import subprocess

    src = subprocess.run(["git", "show", f"{rev}:src/faceprint/engine/_accessories.py"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    scope: dict[str, Any] = {"LogisticModel": LogisticModel}
    exec(src[src.index("FEATURES: dict"):src.index("class LogisticModel")], scope)
    exec(src[src.index("MODELS: dict"):src.index("# --- end of fitted coefficients")], scope)
    return scope["MODELS"], "HELMET_OVER_CAP =" in src


def run(lfw_dir: Path, cache: Path | None = DEFAULT_CACHE) -> dict[str, Any]:
    """The figures bench/evaluate.py reports (``lfw_attributes``)."""
    return figures(collect(lfw_dir, cache))


def print_table(res: Mapping[str, Any]) -> None:
    print(f"held-out: {res['thumbnails']} thumbnails, {res['faces']} faces, {res['people']} people")
    print(f"{'attribute':12s} {'positives':>9s} {'rate':>7s} {'eye-checked':>11s} {'precision':>9s} "
          f"{'recall (random, eye)':>20s}")
    for a in ATTRIBUTES:
        r = res[a]
        print(f"{a:12s} {r['positives']:9d} {r['positive_rate']:7.4f} {r['eye_checked']:5d} of {r['eye_sample']:<3d} "
              f"{r['eye_precision']:9.3f} {r['random_eye_recall']:9.3f} of {r['random_eye_positives']:<3d}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="features cache (written on first run)")
    ap.add_argument("--sheets", type=Path, help="write contact sheets of unlabelled positives here")
    ap.add_argument("--part", choices=("held-out", "fit"), default="held-out", help="with --sheets")
    ap.add_argument("--models-at", metavar="REV",
                    help="the coefficients of this git revision instead (d196952: before issue 15's refit)")
    args = ap.parse_args()
    if not (args.lfw / "images").is_dir():
        print(f"no images/ in {args.lfw}", file=sys.stderr)
        return 2
    rows = collect(args.lfw, args.cache)
    if args.models_at:
        models, rule = models_at(args.models_at)
        print_table(figures(rows, models, headwear_rule=rule))
        return 0
    print_table(figures(rows))
    if args.sheets:
        write_sheets(args.lfw, rows, args.sheets, args.part)
    return 0


if __name__ == "__main__":
    sys.exit(main())
