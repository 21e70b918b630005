"""Golden tests of the rotation and rectangle geometry."""

from __future__ import annotations

import numpy as np
import pytest

from faceprint.engine.geometry import (
    box_to_displayed,
    clip_rectangle,
    points_to_displayed,
    rotate_upright,
    search_region,
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
