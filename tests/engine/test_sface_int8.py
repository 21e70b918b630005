"""SFace in int8: built reproducibly from the committed activation ranges, and close to the float pack on real
photos (its own vectors and calibration)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceprint.engine import Engine
from faceprint.engine.models import load_manifest, sha256_file
from faceprint.engine.recognizers.packs import load_packs
from faceprint.engine.recognizers.sface_int8 import load_ranges, quantise

INT8 = "sface-2021dec-int8"


def test_the_int8_file_rebuilds_byte_identical_from_the_committed_ranges(model_dir: Path, tmp_path: Path) -> None:
    entry = next(e for e in load_manifest() if e.file == "face_recognition_sface_2021dec_int8.onnx")
    assert entry.derived_from == "face_recognition_sface_2021dec_fast.onnx" and entry.sha256
    out = tmp_path / "int8.onnx"
    quantise(model_dir / entry.derived_from, out)
    assert sha256_file(out) == entry.sha256  # the pin `faceprint models pull` checks
    assert out.stat().st_size == entry.size
    ranges = load_ranges()
    assert len(ranges) > 100 and all(lo <= hi for lo, hi in ranges.values())


def test_int8_is_its_own_calibrated_pack() -> None:
    packs = load_packs()
    q, f = packs[INT8], packs["sface-2021dec"]
    assert q.feature_version not in {p.feature_version for n, p in packs.items() if n != INT8}
    assert (q.family, q.dim, q.input_size, q.alignment) == (f.family, f.dim, f.input_size, f.alignment)
    assert q.calibration >= 1  # fitted, not the legacy (1 + cos) / 2


def test_int8_descriptors_follow_the_float_ones_on_real_photos(engine: Engine, faces_dir: Path) -> None:
    names = ["deepface_img1.jpg", "deepface_img2.jpg", "fr_obama.jpg", "fr_biden.jpg"]
    faces = [engine.largest_face((faces_dir / n).read_bytes(), attributes=False, packs=[INT8, "sface-2021dec"])[0]
             for n in names]
    for face in faces:
        q, f = face.embeddings[INT8], face.embeddings["sface-2021dec"]
        assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5
        assert float(q @ f) > 0.97, "int8 strays from the float descriptor"
    sm = engine.packs[INT8].score_map
    same = sm.score(float(faces[0].embeddings[INT8] @ faces[1].embeddings[INT8]))
    other = sm.score(float(faces[2].embeddings[INT8] @ faces[3].embeddings[INT8]))
    assert same >= 0.955 > other, (same, other)
