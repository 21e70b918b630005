"""Pure geometry of rotations and rectangles (golden-tested).

A sideways photo is turned upright by rotating it ``r`` degrees clockwise (r in 0/90/180/270). Faces are
found in the upright image and reported in the image *as displayed*, so their points are mapped back
with :func:`points_to_displayed`.
"""

from __future__ import annotations

import numpy as np

from faceprint.engine.types import Box, FloatArray, RGBImage
from faceprint.errors import BadRectangle

__all__ = ["box_to_displayed", "clip_rectangle", "points_to_displayed", "rotate_upright", "search_region"]


def rotate_upright(image: RGBImage, rotation: int) -> RGBImage:
    """The image rotated ``rotation`` degrees clockwise (0, 90, 180 or 270)."""
    k = (rotation // 90) % 4
    return image if k == 0 else np.ascontiguousarray(np.rot90(image, k=-k))


def points_to_displayed(points: FloatArray, rotation: int, width: int, height: int) -> FloatArray:
    """Map ``(N, 2)`` points of the upright image back to the displayed image of size width x height
    (continuous pixel coordinates: a pixel spans [x, x+1))."""
    p = np.asarray(points, dtype=np.float32)
    x, y = p[:, 0], p[:, 1]
    r = rotation % 360
    if r == 0:
        out = np.stack([x, y], axis=1)
    elif r == 90:
        out = np.stack([y, height - x], axis=1)
    elif r == 180:
        out = np.stack([width - x, height - y], axis=1)
    elif r == 270:
        out = np.stack([width - y, x], axis=1)
    else:
        raise ValueError(f"rotation must be a multiple of 90, got {rotation}")
    return out.astype(np.float32)


def box_to_displayed(box: Box, rotation: int, width: int, height: int) -> Box:
    """Map a box of the upright image to the displayed image (the axis-aligned box of its corners)."""
    corners = np.array(
        [[box.left, box.top], [box.right, box.top], [box.left, box.bottom], [box.right, box.bottom]],
        dtype=np.float32,
    )
    m = points_to_displayed(corners, rotation, width, height)
    x0, y0 = m.min(axis=0)
    x1, y1 = m.max(axis=0)
    return Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def clip_rectangle(rect: Box, width: int, height: int) -> Box:
    """The rectangle clipped to the image; BadRectangle when it is empty or outside the image."""
    if rect.width <= 0 or rect.height <= 0:
        raise BadRectangle("The rectangle must have a positive width and height.")
    left, top = max(rect.left, 0.0), max(rect.top, 0.0)
    right, bottom = min(rect.right, float(width)), min(rect.bottom, float(height))
    if right <= left or bottom <= top:
        raise BadRectangle(f"The rectangle lies outside the {width}x{height} image.")
    return Box(left, top, right - left, bottom - top)


def search_region(rect: Box, width: int, height: int, margin: float = 0.25) -> tuple[int, int, int, int]:
    """Integer ``(x0, y0, x1, y1)`` of the area scanned for a rectangle: the rectangle grown by
    ``margin`` of its size on each side (so a face straddling its border is still seen whole),
    clipped to the image."""
    mx, my = rect.width * margin, rect.height * margin
    x0 = int(max(np.floor(rect.left - mx), 0))
    y0 = int(max(np.floor(rect.top - my), 0))
    x1 = int(min(np.ceil(rect.right + mx), width))
    y1 = int(min(np.ceil(rect.bottom + my), height))
    return x0, y0, x1, y1
