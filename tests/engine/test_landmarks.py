"""ShapePredictor against dlib's own shape_predictor on real photos, on the same rectangles."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageOps

from faceprint.engine.landmarks import ShapePredictor, similarity_transform
from faceprint.engine.types import Box
from faceprint.errors import BadRectangle, ModelMissing

dlib = pytest.importorskip("dlib")
skimage_data = pytest.importorskip("skimage.data")

SP5 = "shape_predictor_5_face_landmarks.dat"
N_PHOTOS = 20  # photos of ../shared/faces checked (sorted by name); keeps the test to seconds


@functools.cache
def _predictors(model_dir: Path) -> tuple[ShapePredictor, object]:
    return ShapePredictor(model_dir / SP5), dlib.shape_predictor(str(model_dir / SP5))


def _load(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def _dlib_boxes(image: npt.NDArray[np.uint8]) -> list[object]:
    upsample = 0 if max(image.shape[:2]) > 900 else 1
    return list(dlib.get_frontal_face_detector()(image, upsample))


def _box(rect: object) -> Box:
    return Box(rect.left(), rect.top(), rect.right() - rect.left() + 1, rect.bottom() - rect.top() + 1)  # type: ignore[attr-defined]


def _compare(ours: ShapePredictor, ref: object, image: npt.NDArray[np.uint8]) -> list[float]:
    devs = []
    for rect in _dlib_boxes(image):
        got = ours.predict(image, _box(rect))
        shape = ref(image, rect)  # type: ignore[operator]
        want = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], dtype=np.float32)
        devs.append(float(np.abs(got - want).max()))
    return devs


def test_matches_dlib_on_astronaut(model_dir: Path) -> None:
    ours, ref = _predictors(model_dir)
    image = skimage_data.astronaut()
    devs = _compare(ours, ref, image)
    devs += _compare(ours, ref, np.ascontiguousarray(image[:, ::-1]))
    assert len(devs) >= 2
    assert max(devs) == 0.0


def test_matches_dlib_on_photos(model_dir: Path, faces_dir: Path) -> None:
    ours, ref = _predictors(model_dir)
    devs: list[float] = []
    for path in sorted(faces_dir.glob("*.jpg"))[:N_PHOTOS]:
        devs += _compare(ours, ref, _load(path))
    assert len(devs) >= 15
    assert max(devs) == 0.0  # measured: 0 px on 88 faces of the first 60 photos


def test_grey_level_is_the_channel_mean(model_dir: Path) -> None:
    """dlib reads an RGB pixel as (R + G + B) // 3; a grey image holding exactly that gives the same shape."""
    ours, ref = _predictors(model_dir)
    image = skimage_data.astronaut()
    grey = (image.astype(np.int32).sum(axis=2) // 3).astype(np.uint8)
    luma = np.asarray(Image.fromarray(image).convert("L"))  # ITU-R 601 weights: a different grey
    rect = _dlib_boxes(image)[0]
    box = _box(rect)
    rgb_pts = ours.predict(image, box)
    np.testing.assert_array_equal(ours.predict(grey, box), rgb_pts)
    shape = ref(grey, rect)  # type: ignore[operator]
    np.testing.assert_array_equal(rgb_pts, [[shape.part(i).x, shape.part(i).y] for i in range(5)])
    assert not np.array_equal(ours.predict(luma, box, subpixel=True), ours.predict(image, box, subpixel=True))


def test_subpixel_points_round_to_dlibs(model_dir: Path) -> None:
    ours, _ = _predictors(model_dir)
    image = skimage_data.astronaut()
    box = _box(_dlib_boxes(image)[0])
    fine = ours.predict(image, box, subpixel=True)
    whole = ours.predict(image, box)
    assert np.abs(fine - whole).max() <= 0.5
    assert not np.array_equal(fine, whole)
    # The five points are in dlib's order: eyes left to right in the image are 2,3 | 1,0; nose below.
    assert whole[2, 0] < whole[3, 0] < whole[1, 0] < whole[0, 0]
    assert whole[4, 1] > whole[:4, 1].max()


def test_bad_boxes_and_files(model_dir: Path, tmp_path: Path) -> None:
    ours, _ = _predictors(model_dir)
    image = skimage_data.astronaut()
    with pytest.raises(BadRectangle):
        ours.predict(image, Box(10, 10, 0, 50))
    # A box hanging off the image still gives 5 finite points (outside pixels read as black).
    pts = ours.predict(image, Box(-100, -100, 200, 200))
    assert pts.shape == (5, 2) and np.isfinite(pts).all()
    with pytest.raises(ModelMissing):
        ShapePredictor(tmp_path / "none.dat")


def test_similarity_transform_recovers_a_known_one() -> None:
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 1, size=(5, 2))
    a = np.deg2rad(25.0)
    m = 3.0 * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = src @ m.T + np.array([10.0, -4.0])
    got_m, got_t = similarity_transform(src, dst)
    np.testing.assert_allclose(got_m, m, atol=1e-12)
    np.testing.assert_allclose(got_t, [10.0, -4.0], atol=1e-12)
