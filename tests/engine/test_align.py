"""Face-chip geometry (golden matrices) and sampling against dlib.get_face_chip on real photos."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageOps

from faceprint.engine.align import TEMPLATE_5, chip_details, chip_transform, extract_chip, pyramid_down
from faceprint.errors import BadRectangle

SP5 = "shape_predictor_5_face_landmarks.dat"
N_PHOTOS = 20


def _template_points(size: int, padding: float) -> npt.NDArray[np.float64]:
    return (padding + TEMPLATE_5) / (2 * padding + 1) * size


def test_identity_geometry_is_offset_half_a_pixel() -> None:
    # Landmarks exactly where the template puts them: scale 1, no rotation. dlib's rectangle is
    # centred_drect((75, 75), 150, 150) = (0.5, 0.5)-(149.5, 149.5), so chip pixel (0, 0) samples (0.5, 0.5).
    m = chip_transform(_template_points(150, 0.25), 150, 0.25)
    np.testing.assert_allclose(m, [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]], atol=1e-9)
    d = chip_details(_template_points(150, 0.25), 150, 0.25)
    assert d.angle == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(d.rect, (0.5, 0.5, 149.5, 149.5), atol=1e-9)


def test_rotated_scaled_geometry() -> None:
    size, pad, s, deg, t = 150, 0.25, 2.0, 30.0, np.array([100.0, 50.0])
    a = math.radians(deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pts = _template_points(size, pad) @ (s * rot).T + t
    m = chip_transform(pts, size, pad)
    # The chip spans size*s - 1 = 299 image pixels over size - 1 = 149 chip steps, about its centre.
    k = (size * s - 1) / (size - 1)
    centre = s * rot @ np.array([75.0, 75.0]) + t
    tl = centre + rot @ np.array([-(size * s - 1) / 2, -(size * s - 1) / 2])
    expected = np.array([[k * rot[0, 0], k * rot[0, 1], tl[0]], [k * rot[1, 0], k * rot[1, 1], tl[1]]])
    np.testing.assert_allclose(m, expected, atol=1e-9)
    assert chip_details(pts, size, pad).angle == pytest.approx(a, abs=1e-12)


def test_padding_is_rounded_to_float32_like_the_binding() -> None:
    pts = _template_points(150, 0.2) * 1.7 + 40.0
    np.testing.assert_array_equal(chip_transform(pts, 150, 0.2), chip_transform(pts, 150, float(np.float32(0.2))))


def test_pyramid_down_golden() -> None:
    flat = np.full((21, 17, 3), 100, dtype=np.uint8)
    down = pyramid_down(flat)
    assert down.shape == (9, 7, 3) and (down == 100).all()  # 16*16*100/256 = 100 exactly
    # A horizontal ramp x*10: the 5-tap filter centred on column 2c+2 gives 10*(2c+2) exactly.
    ramp = np.broadcast_to((np.arange(17) * 10).astype(np.uint8)[None, :, None], (21, 17, 3))
    np.testing.assert_array_equal(pyramid_down(np.ascontiguousarray(ramp))[0, :, 0], 10 * (2 * np.arange(7) + 2))
    # Integer sums divided by 256 are truncated: one bright pixel of 255 at the centre gives 255*36/256 = 35.
    dot = np.zeros((13, 13, 3), dtype=np.uint8)
    dot[6, 6] = 255
    assert pyramid_down(dot)[2, 2, 0] == 35
    assert pyramid_down(np.zeros((8, 40, 3), dtype=np.uint8)).shape == (0, 0, 3)


def test_chip_outside_the_image_is_black() -> None:
    image = np.full((200, 200, 3), 200, dtype=np.uint8)
    pts = _template_points(150, 0.25) + np.array([120.0, 0.0])  # the right part leaves the image
    chip = extract_chip(image, pts)
    assert (chip[:, :40] == 200).all() and (chip[:, -40:] == 0).all()
    assert (extract_chip(image, pts + 1000.0) == 0).all()
    with pytest.raises(BadRectangle):
        extract_chip(image, np.full((5, 2), np.nan))


def _load(path: Path) -> npt.NDArray[np.uint8]:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def _chip_diffs(model_dir: Path, images: list[npt.NDArray[np.uint8]]) -> tuple[list[int], int]:
    dlib = pytest.importorskip("dlib")
    det = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(str(model_dir / SP5))
    diffs, pyramids = [], 0
    for image in images:
        for rect in det(image, 0 if max(image.shape[:2]) > 900 else 1):
            shape = sp(image, rect)
            pts = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], dtype=np.float32)
            for pad in (0.25, 0.2):
                ours = extract_chip(image, pts, 150, pad)
                ref = dlib.get_face_chip(image, shape, 150, pad)
                diffs.append(int(np.abs(ours.astype(np.int16) - ref.astype(np.int16)).max()))
            r = chip_details(pts).rect
            pyramids += (r[2] - r[0]) / 2 + 1 > 150  # dlib samples a pyramid level for this one
    return diffs, pyramids


def test_chips_equal_dlibs_on_astronaut(model_dir: Path) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    image = skimage_data.astronaut()
    big = np.asarray(Image.fromarray(image).resize((1400, 1400), Image.Resampling.BILINEAR))
    rotated = np.asarray(Image.fromarray(image).rotate(20, resample=Image.Resampling.BILINEAR))
    diffs, pyramids = _chip_diffs(model_dir, [image, big, rotated])
    assert len(diffs) >= 6 and pyramids >= 1
    assert max(diffs) == 0


def test_chips_equal_dlibs_on_photos(model_dir: Path, faces_dir: Path) -> None:
    images = [_load(p) for p in sorted(faces_dir.glob("*.jpg"))[:N_PHOTOS]]
    diffs, pyramids = _chip_diffs(model_dir, images)
    assert len(diffs) >= 30 and pyramids >= 1
    assert max(diffs) == 0  # measured: bit-identical on 510 chips of 170 faces (paddings 0.25, 0.2, 0)
