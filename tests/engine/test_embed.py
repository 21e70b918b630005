"""Embedder (dlib's ResNet on onnxruntime) against dlib's compute_face_descriptor on real photos."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageOps

from faceprint.engine.align import extract_chip
from faceprint.engine.embed import Embedder
from faceprint.engine.landmarks import ShapePredictor
from faceprint.engine.types import Box
from faceprint.errors import InternalError, ModelMissing

dlib = pytest.importorskip("dlib")

ONNX = "dlib_face_recognition_resnet_model_v1.onnx"
DAT = "dlib_face_recognition_resnet_model_v1.dat"
SP5 = "shape_predictor_5_face_landmarks.dat"
N_PHOTOS = 6  # photos of ../shared/faces used (sorted by name): dlib's own descriptor is slow


@functools.cache
def _models(model_dir: Path) -> tuple[Embedder, object, object]:
    return (
        Embedder(model_dir / ONNX, threads=2),
        dlib.face_recognition_model_v1(str(model_dir / DAT)),
        dlib.shape_predictor(str(model_dir / SP5)),
    )


def _load(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def _astronaut() -> npt.NDArray[np.uint8]:
    skimage_data = pytest.importorskip("skimage.data")
    image: npt.NDArray[np.uint8] = skimage_data.astronaut()
    return image


def _dlib_faces(model_dir: Path, image: npt.NDArray[np.uint8]) -> list[tuple[object, object]]:
    _, _, sp = _models(model_dir)
    rects = dlib.get_frontal_face_detector()(image, 0 if max(image.shape[:2]) > 900 else 1)
    return [(r, sp(image, r)) for r in rects]  # type: ignore[operator]


def _dlib_chips(model_dir: Path, images: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.uint8]:
    return np.stack([dlib.get_face_chip(img, s) for img in images for _, s in _dlib_faces(model_dir, img)])


def _unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _check_same_chip(model_dir: Path, chips: npt.NDArray[np.uint8]) -> None:
    emb, net, _ = _models(model_dir)
    ref = np.array([np.array(net.compute_face_descriptor(c)) for c in chips])  # type: ignore[attr-defined]
    np.testing.assert_allclose(emb.raw(chips), ref, atol=1e-5, rtol=0)
    got = emb.embed(chips)
    np.testing.assert_allclose(got, _unit(ref), atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)


def test_same_chip_same_descriptor_astronaut(model_dir: Path) -> None:
    image = _astronaut()
    chips = _dlib_chips(model_dir, [image, np.ascontiguousarray(image[:, ::-1])])
    assert len(chips) >= 2
    _check_same_chip(model_dir, chips)


def test_same_chip_same_descriptor_photos(model_dir: Path, faces_dir: Path) -> None:
    chips = _dlib_chips(model_dir, [_load(p) for p in sorted(faces_dir.glob("*.jpg"))[:N_PHOTOS]])
    assert len(chips) >= 8
    _check_same_chip(model_dir, chips)


def test_dlib_free_pipeline_equals_dlibs(model_dir: Path, faces_dir: Path) -> None:
    """Our landmarks + our chip + ONNX descriptor vs dlib's full compute_face_descriptor(img, shape)."""
    emb, net, _ = _models(model_dir)
    sp = ShapePredictor(model_dir / SP5)
    images = [_astronaut()] + [_load(p) for p in sorted(faces_dir.glob("*.jpg"))[:N_PHOTOS]]
    dists, pixel_diffs = [], []
    for image in images:
        for rect, shape in _dlib_faces(model_dir, image):
            box = Box(rect.left(), rect.top(), rect.width(), rect.height())  # type: ignore[attr-defined]
            chip = extract_chip(image, sp.predict(image, box))
            pixel_diffs.append(int(np.abs(chip.astype(int) - dlib.get_face_chip(image, shape).astype(int)).max()))
            ours = emb.embed(chip[None])[0]
            ref = np.array(net.compute_face_descriptor(image, shape))  # type: ignore[attr-defined]
            dists.append(float(np.linalg.norm(ours - _unit(ref))))
    assert len(dists) >= 8
    assert max(pixel_diffs) == 0  # measured: the chips are bit-identical
    assert max(dists) < 1e-4  # measured ~3e-7; dlib's same-person threshold is 0.6 on raw vectors


def test_batches_threads_and_shapes(model_dir: Path) -> None:
    emb, _, _ = _models(model_dir)
    chips = _dlib_chips(model_dir, [_astronaut()])
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(9, 150, 150, 3), dtype=np.uint8)
    batch = np.concatenate([chips, noise])  # more than one session run with batch_size 8
    small = Embedder(model_dir / ONNX, threads=1, batch_size=8)
    together = small.embed(batch)
    one_by_one = np.concatenate([small.embed(c) for c in batch])  # a (150,150,3) chip is N=1
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(emb.embed, [batch] * 4))
    for r in results:
        np.testing.assert_allclose(r, together, atol=1e-6)
    assert emb.embed(np.zeros((0, 150, 150, 3), dtype=np.uint8)).shape == (0, 128)
    with pytest.raises(InternalError):
        emb.embed(np.zeros((1, 112, 112, 3), dtype=np.uint8))
    # A face and its mirror image are close (cosine similarity), noise is far.
    face = emb.embed(chips[:1])[0]
    mirrored = emb.embed(_dlib_chips(model_dir, [np.ascontiguousarray(_astronaut()[:, ::-1])]))
    best = float(np.max(mirrored @ face))
    assert best > 0.9
    assert float(np.max(together[len(chips) :] @ face)) < best


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing):
        Embedder(tmp_path / "absent.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelMissing):
        Embedder(tmp_path / "junk.onnx")
