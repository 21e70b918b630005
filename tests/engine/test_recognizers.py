"""Recogniser packs: the manifest, the score maps, the calibration fit, both shipped packs on real photos, and
a user's pack added from a local file (verified, refused when corrupt or mismatched)."""

from __future__ import annotations

import csv
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from faceprint.engine import Engine
from faceprint.engine.recognizers.calibration import fit, impostor_cosines
from faceprint.engine.recognizers.packs import (
    FAR_SCORES,
    LEGACY_MAP,
    USER_PACKS_FILE,
    ScoreMap,
    load_packs,
    model_version_of,
    parse_model_version,
    resolve_pack,
)
from faceprint.engine.recognizers.user import add_pack, remove_pack
from faceprint.errors import BadFeatureVersion, ModelMissing

SHIPPED = ("dlib-resnet-v1", "sface-2021dec", "sface+dlib")


def test_the_shipped_packs_and_the_default() -> None:
    packs = load_packs()
    assert set(SHIPPED) <= set(packs)
    assert [packs[p].feature_version for p in SHIPPED] == [1, 2, 3]
    assert [packs[p].dim for p in SHIPPED] == [128, 128, 256] and all(packs[p].shipped for p in SHIPPED)
    assert resolve_pack(packs).name == "sface-2021dec-int8"
    assert resolve_pack(packs, "1").name == "dlib-resnet-v1"
    with pytest.raises(BadFeatureVersion):
        resolve_pack(packs, "77")


def test_model_versions_name_the_pack_and_its_calibration() -> None:
    assert parse_model_version("dlib-resnet-v1") == ("dlib-resnet-v1", 0)  # databases made before packs
    assert parse_model_version(model_version_of("sface-2021dec", 3)) == ("sface-2021dec", 3)
    assert model_version_of("dlib-resnet-v1", 0) == "dlib-resnet-v1"


def test_the_legacy_map_is_the_original_score_and_maps_invert() -> None:
    for c in np.linspace(-1, 1, 41):
        assert LEGACY_MAP.score(float(c)) == pytest.approx((1 + c) / 2, abs=1e-12)
    for spec in load_packs().values():
        sm = spec.score_map
        cs = np.linspace(-1, 1, 201)
        scores = [sm.score(float(c)) for c in cs]
        assert all(b > a for a, b in itertools.pairwise(scores))  # strictly monotone
        assert sm.score(1.0) == 1.0 and sm.score(-1.0) == 0.0
        for c in cs:
            assert sm.cosine(sm.score(float(c))) == pytest.approx(float(c), abs=1e-9)
    with pytest.raises(ValueError):
        ScoreMap(1, ((-1.0, 0.0), (0.5, 0.9), (0.4, 0.95), (1.0, 1.0)))


def test_scores_at_the_calibrated_points_are_the_same_for_every_shipped_pack() -> None:
    """One score, one false-accept rate: each calibrated pack's map passes through the same score at the
    cosine its calibration found for each rate."""
    packs = load_packs()
    for name in SHIPPED:
        spec = packs[name]
        assert spec.calibration >= 1, f"{name} is not calibrated"
        knot_scores = {s for _, s in spec.score_map.knots}
        assert set(FAR_SCORES.values()) <= knot_scores


def test_calibration_finds_known_quantiles_and_says_when_it_extrapolates() -> None:
    rng = np.random.default_rng(0)
    imp = rng.normal(0.0, 0.1, 200_000)
    cal = fit(imp, 1, "synthetic")
    assert cal.measured == (0.5, 0.1, 1e-2, 1e-3, 1e-4)  # 1e-5 needs 10 pairs above it: 2 here
    for far in (1e-2, 1e-3, 1e-4):
        assert np.mean(imp >= cal.cosines[far]) <= far
        assert np.mean(imp >= cal.cosines[far]) == pytest.approx(far, rel=0.25)
    assert cal.score_map.score(cal.cosines[1e-3]) == pytest.approx(FAR_SCORES[1e-3])
    assert cal.cosines[1e-5] > cal.cosines[1e-4]
    assert "extrapolated" in cal.score_map.fitted_on
    with pytest.raises(ValueError):
        fit(imp[:50], 1, "too few")


def test_impostor_cosines_are_every_cross_identity_pair() -> None:
    v = np.eye(4, dtype=np.float32)
    v[1] = v[0]
    got = impostor_cosines(v, ["a", "a", "b", "c"])
    assert len(got) == 5 and float(got.max()) == 0.0  # the a-a pair (cosine 1) is left out


def _single_face_photos(faces_dir: Path) -> list[tuple[str, str]]:
    with (faces_dir / "labels.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [(r["file"], r["identity"]) for r in rows
            if r["faces"] == "1" and r["identity"] not in ("", "unknown") and "rotated" not in r["notes"]]


@pytest.mark.parametrize("pack", SHIPPED)
def test_each_shipped_pack_tells_people_apart_on_the_labelled_photos(
    engine: Engine, faces_dir: Path, pack: str
) -> None:
    """All cross-identity pairs of the single-face photos: at the score for FAR 1e-3 (0.955) at most 1 % of
    them pass, and at least 95 % of the same-person pairs do."""
    photos = _single_face_photos(faces_dir)
    vecs, ids = [], []
    for name, identity in photos:
        face, _ = engine.largest_face((faces_dir / name).read_bytes(), attributes=False, packs=[pack])
        assert face.embedding is not None and face.embeddings[pack] is face.embedding
        vecs.append(face.embedding)
        ids.append(identity)
    m = np.stack(vecs)
    sm = engine.packs[pack].score_map
    imp = impostor_cosines(m, ids)
    same = [float(m[i] @ m[j]) for i in range(len(ids)) for j in range(i + 1, len(ids)) if ids[i] == ids[j]]
    assert np.mean([sm.score(float(c)) >= 0.955 for c in imp]) <= 0.01
    assert np.mean([sm.score(c) >= 0.955 for c in same]) >= 0.95


def test_the_fusion_pack_is_the_weighted_mean_of_its_members(engine: Engine, faces_dir: Path) -> None:
    names = ["sface+dlib", "sface-2021dec", "dlib-resnet-v1"]
    a, _ = engine.largest_face((faces_dir / "deepface_img1.jpg").read_bytes(), attributes=False, packs=names)
    b, _ = engine.largest_face((faces_dir / "deepface_img2.jpg").read_bytes(), attributes=False, packs=names)
    w = engine.packs["sface+dlib"].members
    assert sum(w.values()) == pytest.approx(1.0)
    fused = float(a.embeddings["sface+dlib"] @ b.embeddings["sface+dlib"])
    mean = sum(wt * float(a.embeddings[m] @ b.embeddings[m]) for m, wt in w.items())
    assert fused == pytest.approx(mean, abs=1e-5)
    assert abs(float(np.linalg.norm(a.embeddings["sface+dlib"])) - 1.0) < 1e-5
    with pytest.raises(BadFeatureVersion):  # a fusion pack has no network of its own
        engine.recognizer("sface+dlib")


def test_both_packs_in_one_call_each_descriptor_once(engine: Engine, faces_dir: Path) -> None:
    face, _ = engine.largest_face((faces_dir / "deepface_img1.jpg").read_bytes(), attributes=False,
                                  packs=["dlib-resnet-v1", "sface-2021dec"])
    assert set(face.embeddings) == {"dlib-resnet-v1", "sface-2021dec"}
    assert face.embedding is face.embeddings["dlib-resnet-v1"]
    assert face.align5 is not None and face.align5.shape == (5, 2)
    for v in face.embeddings.values():
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    with pytest.raises(BadFeatureVersion):
        engine.largest_face((faces_dir / "deepface_img1.jpg").read_bytes(), attributes=False, packs=["nope"])


# -- a user's pack -------------------------------------------------------------------------------


def linked_cache(model_dir: Path, to: Path) -> Path:
    """A model cache in ``to`` whose shipped files are links to the real cache (a user pack goes in beside)."""
    to.mkdir()
    for p in model_dir.iterdir():
        if p.is_file() and not p.name.startswith(".") and p.name != USER_PACKS_FILE:
            os.symlink(p, to / p.name)
    return to


def user_entry(**over: object) -> dict[str, object]:
    """A pack entry for a user's ONNX recogniser: here the SFace graph as shipped (batch fixed at 1, weights as
    graph inputs), standing in for an ArcFace a user holds a licence for."""
    entry: dict[str, object] = {
        "name": "my-arcface", "feature_version": 100, "family": "arcface", "licence": "my own licence",
        "input_size": 112, "colour": "RGB", "layout": "NCHW", "mean": [0, 0, 0], "std": [1, 1, 1],
        "alignment": {"method": "similarity5"}, "dim": 128,
    }
    entry.update(over)
    return entry


def test_a_user_pack_is_added_verified_used_and_removed(model_dir: Path, tmp_path: Path, faces_dir: Path) -> None:
    cache = linked_cache(model_dir, tmp_path / "models")
    source = model_dir / "face_recognition_sface_2021dec.onnx"
    spec = add_pack(cache, source, user_entry(file="my-arcface.onnx"))
    assert (cache / "my-arcface.onnx").is_file() and spec.sha256 and spec.size == source.stat().st_size
    assert json.loads((cache / USER_PACKS_FILE).read_text())["packs"][0]["name"] == "my-arcface"
    eng = Engine(cache, threads=1)
    assert "my-arcface" in eng.packs and not eng.packs["my-arcface"].shipped
    one = (faces_dir / "deepface_img1.jpg").read_bytes()
    two = (faces_dir / "deepface_img2.jpg").read_bytes()
    face, _ = eng.largest_face(one, attributes=False, packs=["my-arcface", "sface-2021dec"])
    # the same network run through the user's entry gives the shipped pack's descriptor
    assert float(face.embeddings["my-arcface"] @ face.embeddings["sface-2021dec"]) > 0.9999
    assert eng.compare(one, two, pack="my-arcface").score > eng.compare(
        one, (faces_dir / "deepface_img29.jpg").read_bytes(), pack="my-arcface").score
    remove_pack(cache, "my-arcface")
    assert not (cache / "my-arcface.onnx").exists() and "my-arcface" not in load_packs(cache)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("sha", "Checksum mismatch"),
        ("truncated", "cannot be loaded"),
        ("dim", "its entry says 512"),
        ("size", "but its pack says NCHW 96x96"),
        ("name", "exists already"),
        ("version", "feature_version 2 is taken"),
        ("bad entry", "is not valid"),
    ],
)
def test_a_corrupt_or_mismatched_user_pack_is_refused_naming_the_file(
    model_dir: Path, tmp_path: Path, case: str, message: str
) -> None:
    cache = linked_cache(model_dir, tmp_path / "models")
    source = model_dir / "face_recognition_sface_2021dec.onnx"
    entry = user_entry(file="mine.onnx")
    if case == "sha":
        entry["sha256"] = "0" * 64
    elif case == "truncated":
        source = tmp_path / "mine.onnx"
        source.write_bytes((model_dir / "face_recognition_sface_2021dec.onnx").read_bytes()[:100_000])
    elif case == "dim":
        entry["dim"] = 512
    elif case == "size":
        entry["input_size"] = 96
    elif case == "name":
        entry["name"] = "sface-2021dec"
    elif case == "version":
        entry["feature_version"] = 2
    else:
        entry["family"] = "tensorflow"
    with pytest.raises(ModelMissing) as err:
        add_pack(cache, source, entry)
    assert message in err.value.message
    if case in ("sha", "truncated", "dim", "size"):
        assert str(source) in err.value.message or "mine.onnx" in err.value.message
    assert not (cache / "mine.onnx").exists() and not (cache / USER_PACKS_FILE).exists()
    assert sorted(p.name for p in cache.iterdir() if p.name.startswith(".")) == []
