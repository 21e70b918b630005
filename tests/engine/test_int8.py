"""Recognisers in int8: each built reproducibly from its committed activation ranges, and close to its float
pack on real photos (its own vectors and calibration)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceprint.engine import Engine
from faceprint.engine.models import load_manifest, sha256_file
from faceprint.engine.recognizers.int8 import DLIB, RECIPES, SFACE, Recipe, load_ranges, quantise
from faceprint.engine.recognizers.packs import load_packs

#: int8 pack -> (its float pack, the recipe that builds its file)
INT8 = {"sface-2021dec-int8": ("sface-2021dec", SFACE), "dlib-resnet-v1-int8": ("dlib-resnet-v1", DLIB)}


@pytest.mark.parametrize("recipe", list(RECIPES.values()), ids=list(RECIPES))
def test_the_int8_file_rebuilds_byte_identical_from_the_committed_ranges(
    model_dir: Path, tmp_path: Path, recipe: Recipe
) -> None:
    built_by = f"faceprint.engine.recognizers.int8.quantise_{recipe.name}"
    entry = next(e for e in load_manifest() if e.builder == built_by)
    assert entry.derived_from == recipe.float_file and entry.sha256
    out = tmp_path / "int8.onnx"
    quantise(recipe, model_dir / recipe.float_file, out)
    assert sha256_file(out) == entry.sha256  # the pin `faceprint models pull` checks
    assert out.stat().st_size == entry.size < (model_dir / recipe.float_file).stat().st_size / 3
    ranges = load_ranges(recipe)
    assert len(ranges) > 100 and all(lo <= hi for lo, hi in ranges.values())


def test_int8_packs_are_their_own_calibrated_packs() -> None:
    packs = load_packs()
    for name, (float_name, _) in INT8.items():
        q, f = packs[name], packs[float_name]
        assert q.feature_version not in {p.feature_version for n, p in packs.items() if n != name}
        assert (q.family, q.dim, q.input_size, q.alignment) == (f.family, f.dim, f.input_size, f.alignment)
        assert q.calibration >= 1  # fitted, not the legacy (1 + cos) / 2
    fused = packs["sface+dlib-int8"]
    assert set(fused.members) == set(INT8) and fused.calibration >= 1


@pytest.mark.parametrize("name", list(INT8))
def test_int8_descriptors_follow_the_float_ones_on_real_photos(engine: Engine, faces_dir: Path, name: str) -> None:
    float_name = INT8[name][0]
    photos = ["deepface_img1.jpg", "deepface_img2.jpg", "fr_obama.jpg", "fr_biden2.jpg"]
    faces = [engine.largest_face((faces_dir / n).read_bytes(), attributes=False, packs=[name, float_name])[0]
             for n in photos]
    for face in faces:
        q, f = face.embeddings[name], face.embeddings[float_name]
        assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5
        assert float(q @ f) > 0.97, "int8 strays from the float descriptor"
    sm = engine.packs[name].score_map
    same = sm.score(float(faces[0].embeddings[name] @ faces[1].embeddings[name]))  # Angelina Jolie twice
    other = sm.score(float(faces[2].embeddings[name] @ faces[3].embeddings[name]))  # Obama and Biden
    assert same >= 0.955 > other, (same, other)
