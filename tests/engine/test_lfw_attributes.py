"""Accessory attributes on unseen photos: LFW thumbnails of people held out of every fit (issue 15).

The engine runs on real 150x150 LFW thumbnails (../shared/lfw, read there, never copied). The people are
those of bench/lfw_attributes.py's held-out part, which no accessory model was fitted on; the eye-labels
are bench/annotations/lfw_attributes.csv (our judgements by eye, see that file).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from faceprint.engine import Engine

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import lfw_attributes  # noqa: E402

#: Bounds on a seeded 200 held-out thumbnails without eye-labelled headwear or mask (measured after issue 15:
#: 7 caps, 2 helmets, 0 masks; with the coefficients before it: 17 caps, 13 helmets).
CAP_BOUND, HELMET_BOUND, MASK_BOUND = 0.06, 0.03, 0.01
#: Share of the held-out thumbnails eye-labelled as wearing it that must still be flagged (measured after
#: issue 15: sunglasses 30 of 31, cap 56 of 64, glasses 44 of 58; before it 30, 39 and 33).
KEPT = {"sunglasses": 0.9, "cap": 0.8, "glasses": 0.7}
#: Wire value of each accessory when it fires.
FIRED = {"cap": ("cap_style", "CAP"), "mask": ("respirator_color", "COLOR_TYPE_OTHER"),
         "helmet": ("st_helmet_style", "ST_HELMET"), "sunglasses": ("glass_style", "SUNGLASSES"),
         "glasses": ("glass_style", "TRANSPARENT_GLASSES"), "mustache": ("mustache_style", "WHISKERS")}


@pytest.fixture(scope="module")
def lfw_dir() -> Path:
    env = os.environ.get("FACEPRINT_LFW_DIR")
    d = Path(env) if env else REPO.parent / "shared" / "lfw"
    if not (d / "images").is_dir():
        pytest.skip(f"LFW thumbnails not available at {d} (../shared/lfw)")
    return d


def wire(engine: Engine, lfw_dir: Path, name: str) -> dict[str, object]:
    with Image.open(lfw_dir / "images" / name) as im:
        image = np.asarray(im.convert("RGB"), dtype=np.uint8)
    face, _ = engine.largest_face(image, embed=False, attributes=True)
    assert face.attributes is not None
    return face.attributes.to_wire()


def test_held_out_people_rarely_get_cap_mask_or_helmet(engine: Engine, lfw_dir: Path) -> None:
    # A seeded 200 held-out thumbnails minus those eye-labelled as wearing one: bare heads (as far as the
    # eye-labels tell). The coefficients before issue 15 flagged 11.7 % caps and 8.6 % helmets on them.
    labels = lfw_attributes.eye_labels()
    worn = {f for (f, a), yes in labels.items() if yes and a in ("cap", "helmet", "mask")}
    files = sorted(p.name for p in (lfw_dir / "images").glob("*.jpg")
                   if lfw_attributes.part(p.name) == "held-out" and p.name not in worn)
    pick = np.random.default_rng(15).choice(files, size=200, replace=False)
    fired = {"cap": 0, "helmet": 0, "mask": 0}
    for name in pick:
        a = wire(engine, lfw_dir, str(name))
        for k in fired:
            fired[k] += a[FIRED[k][0]] == FIRED[k][1]
    assert fired["cap"] <= CAP_BOUND * 200, fired
    assert fired["helmet"] <= HELMET_BOUND * 200, fired
    assert fired["mask"] <= MASK_BOUND * 200, fired


@pytest.mark.parametrize("attribute", ["sunglasses", "cap", "glasses"])
def test_eye_confirmed_held_out_positives_still_fire(engine: Engine, lfw_dir: Path, attribute: str) -> None:
    labels = lfw_attributes.eye_labels()
    files = sorted(f for (f, a), yes in labels.items()
                   if a == attribute and yes and lfw_attributes.part(f) == "held-out")
    assert len(files) >= 10
    key, value = FIRED[attribute]
    hits = sum(wire(engine, lfw_dir, f)[key] == value for f in files)
    assert hits >= KEPT[attribute] * len(files), (hits, len(files))
