"""FaceDetector on real photos with the real models."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from skimage import data

from faceprint.engine.detection import FaceDetector, pyramid
from faceprint.engine.landmarks import ShapePredictor
from faceprint.engine.types import Box
from faceprint.errors import InvalidArgument

# dlib's HOG detector (upsample 1) on skimage's astronaut: rectangle (175, 76)-(265, 166).
ASTRONAUT_DLIB = Box(175, 76, 91, 91)


def _load(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def _labels(faces_dir: Path) -> list[dict[str, str]]:
    with open(faces_dir / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def _need(row: dict[str, str]) -> int:
    m = re.search(r"faces_min=(\d+)", row["notes"])
    return int(m.group(1)) if m else int(row["faces"])


def _iod(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[0:2].mean(0) - points[2:4].mean(0)))


@pytest.fixture(scope="module")
def detector(model_dir: Path) -> FaceDetector:
    return FaceDetector(model_dir, min_face=32, threads=1)


def _background(faces_dir: Path, size: tuple[int, int]) -> Image.Image:
    """A face-free photo stretched to ``size``."""
    return Image.open(faces_dir / "compreface_017_0.jpg").convert("RGB").resize(size, Image.Resampling.BILINEAR)


def test_pyramid_levels_cover_min_face_to_whole_image() -> None:
    assert pyramid(640, 480, 32) == pytest.approx([0.5, 80 / 480])
    levels = pyramid(4000, 3000, 32)
    assert levels[0] == 0.5 and levels[-1] == pytest.approx(80 / 3000)
    assert all(a / b <= 5.0 + 1e-9 for a, b in itertools.pairwise(levels))
    assert pyramid(150, 150, 32) == [0.5]


def test_astronaut_has_one_face_with_a_dlib_like_box(detector: FaceDetector, model_dir: Path) -> None:
    image = data.astronaut()
    found = detector.detect(image)
    assert len(found) == 1
    face = found[0]
    assert 0.5 <= face.score <= 1.0
    assert face.box.iou(ASTRONAUT_DLIB) > 0.75
    assert face.keypoints is not None and face.keypoints.shape == (6, 2)
    # The eyes lie inside the box, the image's-left eye first.
    (rx, ry), (lx, ly) = face.keypoints[0], face.keypoints[1]
    assert face.box.left < rx < lx < face.box.right
    assert face.box.top < min(ry, ly) and max(ry, ly) < face.box.bottom
    # The 5 landmarks placed from this box agree with those placed from dlib's own box.
    sp = ShapePredictor(model_dir / "shape_predictor_5_face_landmarks.dat")
    ref = sp.predict(image, ASTRONAUT_DLIB)
    got = sp.predict(image, face.box)
    assert np.linalg.norm(got - ref, axis=1).max() / _iod(ref) < 0.05


def test_group_photos_find_the_labelled_faces(detector: FaceDetector, faces_dir: Path) -> None:
    rows = [r for r in _labels(faces_dir) if "group" in r["notes"]]
    assert rows
    found_total, need_total, short = 0, 0, []
    for r in rows:
        n = len(detector.detect(_load(faces_dir / r["file"])))
        found_total += min(n, _need(r))
        need_total += _need(r)
        if n < _need(r) or n > int(r["faces"]) + 1:
            short.append(f"{r['file']}: {n} (label {r['faces']}, needed {_need(r)})")
    assert found_total >= 0.9 * need_total, short
    assert len(short) <= 1, short


def test_small_faces_of_a_group_photo_are_each_found(detector: FaceDetector, faces_dir: Path) -> None:
    image = _load(faces_dir / "compreface_016_8.jpg")  # 8 faces of ~25-35 pixels in 800x533
    found = detector.detect(image)
    assert len(found) == 8
    assert all(20 <= d.box.width <= 45 for d in found)


def test_no_face_photos_give_no_detection_upright_or_turned(detector: FaceDetector, faces_dir: Path) -> None:
    rows = [r for r in _labels(faces_dir) if r["faces"] == "0"]
    assert rows
    upright, turned = 0, 0
    for r in rows:
        image = _load(faces_dir / r["file"])
        upright += len(detector.detect(image))
        turned += sum(len(detector.detect(np.ascontiguousarray(np.rot90(image, k)))) for k in (1, 2, 3))
    assert upright == 0
    assert turned <= 1


def test_sideways_photos_get_no_upright_face_until_turned_back(detector: FaceDetector, faces_dir: Path) -> None:
    rows = [r for r in _labels(faces_dir) if re.match(r"rotated (90|180|270)", r["notes"])]
    assert rows
    for r in rows:
        image = _load(faces_dir / r["file"])
        assert detector.detect(image) == [], r["file"]
        clockwise = int(r["notes"].split()[1])
        upright = np.ascontiguousarray(np.rot90(image, clockwise // 90))  # np.rot90 turns anticlockwise
        assert len(detector.detect(upright)) == 1, r["file"]


def test_a_32_pixel_face_is_found(detector: FaceDetector, faces_dir: Path) -> None:
    photo = Image.fromarray(_load(faces_dir / "fr_obama.jpg"))
    (big,) = detector.detect(np.asarray(photo))
    scale = 32 / big.box.width  # the whole photo shrunk until its face is 32 pixels
    small = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS)
    canvas = _background(faces_dir, (640, 480))
    canvas.paste(small, (300, 200))
    found = detector.detect(np.asarray(canvas))
    assert len(found) == 1
    box = found[0].box
    assert 24 <= box.width <= 40
    expected = big.box.scaled(scale).shifted(300, 200)
    assert box.iou(expected) > 0.5


def test_a_large_image_keeps_its_small_faces(detector: FaceDetector, faces_dir: Path) -> None:
    group = _load(faces_dir / "compreface_016_8.jpg")
    at_home = sorted(detector.detect(group), key=lambda d: d.box.left)
    canvas = _background(faces_dir, (4000, 3000))
    canvas.paste(Image.fromarray(group), (2900, 2300))
    found = sorted(detector.detect(np.asarray(canvas)), key=lambda d: d.box.left)
    assert len(found) == len(at_home) == 8
    for a, b in zip(at_home, found, strict=True):
        assert b.box.iou(a.box.shifted(2900, 2300)) > 0.6


def test_boxes_follow_the_image_they_were_found_in(detector: FaceDetector) -> None:
    image = data.astronaut()
    padded = np.zeros((700, 900, 3), np.uint8)
    padded[150:662, 300:812] = image
    a = detector.detect(image)[0].box
    b = detector.detect(padded)[0].box
    assert b.iou(a.shifted(300, 150)) > 0.8


def test_rejects_what_is_not_an_rgb_image(detector: FaceDetector) -> None:
    with pytest.raises(InvalidArgument):
        detector.detect(np.zeros((64, 64), np.uint8))
    with pytest.raises(InvalidArgument):
        detector.detect(np.zeros((64, 64, 3), np.float32))  # type: ignore[arg-type]
