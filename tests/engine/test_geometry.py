"""Golden tests of the rotation and rectangle geometry."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.engine.geometry import (
    box_back,
    box_to_displayed,
    clip_rectangle,
    points_back,
    points_to_displayed,
    quarter_turn,
    rotate_upright,
    search_region,
    turn_image,
)
from faceprint.engine.types import Box
from faceprint.errors import BadRectangle


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_points_map_back_to_the_same_pixel(rotation: int) -> None:
    h, w = 30, 50
    img = np.zeros((h, w, 3), np.uint8)
    img[7, 11] = 255  # one bright pixel at displayed (x=11, y=7)
    up = rotate_upright(img, rotation)
    ys, xs = np.nonzero(up[:, :, 0])
    centre = np.array([[xs[0] + 0.5, ys[0] + 0.5]], np.float32)
    back = points_to_displayed(centre, rotation, w, h)
    np.testing.assert_allclose(back[0], [11.5, 7.5], atol=1e-5)


def test_rotate_upright_golden() -> None:
    a = np.arange(6, dtype=np.uint8).reshape(2, 3, 1).repeat(3, axis=2)
    # clockwise 90: the left column (0, 3) becomes the top row, read bottom-up: [3, 0]
    assert rotate_upright(a, 90)[:, :, 0].tolist() == [[3, 0], [4, 1], [5, 2]]
    assert rotate_upright(a, 180)[:, :, 0].tolist() == [[5, 4, 3], [2, 1, 0]]
    assert rotate_upright(a, 270)[:, :, 0].tolist() == [[2, 5], [1, 4], [0, 3]]


def test_box_to_displayed_golden() -> None:
    # upright image of a 90-rotated 100x60 (w x h) photo is 60 wide, 100 high
    b = box_to_displayed(Box(10, 20, 30, 40), 90, 100, 60)
    assert b == Box(20.0, 20.0, 40.0, 30.0)
    assert box_to_displayed(Box(10, 20, 30, 40), 0, 100, 60) == Box(10, 20, 30, 40)
    assert box_to_displayed(Box(10, 20, 30, 40), 180, 100, 60) == Box(60.0, 0.0, 30.0, 40.0)


def test_rectangles() -> None:
    assert clip_rectangle(Box(-10, -10, 50, 50), 100, 100) == Box(0, 0, 40, 40)
    with pytest.raises(BadRectangle):
        clip_rectangle(Box(200, 200, 10, 10), 100, 100)
    with pytest.raises(BadRectangle):
        clip_rectangle(Box(0, 0, 0, 10), 100, 100)
    assert search_region(Box(40, 40, 20, 20), 100, 100) == (35, 35, 65, 65)
    assert search_region(Box(0, 0, 100, 100), 100, 100) == (0, 0, 100, 100)


@pytest.mark.parametrize("degrees", [-45.0, -30.0, -7.5, 20.0, 30.0, 60.0])
def test_turned_points_map_back_to_the_same_pixel(degrees: float) -> None:
    h, w = 40, 60
    img = np.zeros((h, w, 3), np.uint8)
    img[9:12, 19:22] = 255  # a bright 3x3 square centred on displayed (20.5, 10.5)
    turned, back = turn_image(img, degrees)
    # the canvas holds the whole turned image
    t = np.radians(degrees)
    assert turned.shape[1] == int(np.ceil(w * abs(np.cos(t)) + h * abs(np.sin(t)) - 1e-6))
    assert turned.shape[0] == int(np.ceil(w * abs(np.sin(t)) + h * abs(np.cos(t)) - 1e-6))
    weights = turned[:, :, 0].astype(np.float64)
    ys, xs = np.mgrid[0 : turned.shape[0], 0 : turned.shape[1]]
    total = weights.sum()
    centre = np.array([[(xs * weights).sum() / total + 0.5, (ys * weights).sum() / total + 0.5]])
    back_centre = points_back(centre.astype(np.float32), back)[0]
    np.testing.assert_allclose(back_centre, [20.5, 10.5], atol=0.3)


def test_turn_image_golden() -> None:
    a = np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8)
    same, back = turn_image(a, 0.0)
    assert np.array_equal(same, a)
    np.testing.assert_allclose(back, [[1, 0, 0], [0, 1, 0]], atol=1e-12)
    # a quarter turn clockwise is rotate_upright's (up to the bilinear sampler's rounding)
    quarter, back = turn_image(a, 90.0)
    assert quarter.shape == (50, 30, 3)
    assert np.abs(quarter.astype(int) - rotate_upright(a, 90).astype(int)).max() <= 1
    # the top-left corner of the turned image is the displayed image's bottom-left corner
    corner = points_back(np.array([[0.0, 0.0]], np.float32), back)[0]
    np.testing.assert_allclose(corner, [0.0, 30.0], atol=1e-4)


def test_box_back_keeps_the_size_around_the_mapped_centre() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    _, back = turn_image(img, 30.0)
    box = Box(50.0, 60.0, 40.0, 40.0)
    out = box_back(box, back)
    assert (out.width, out.height) == (40.0, 40.0)
    centre = points_back(np.array([box.center], np.float32), back)[0]
    np.testing.assert_allclose(out.center, centre, atol=1e-4)


def test_quarter_turn() -> None:
    assert [quarter_turn(d) for d in (0.0, 31.0, -31.0, 44.0, 50.0, -50.0, 180.0, 260.0, -95.0)] == [
        0, 0, 0, 0, 90, 270, 180, 270, 270,
    ]
