"""Pure geometry of rotations and rectangles (golden-tested).

A sideways photo is turned upright by rotating it ``r`` degrees clockwise (r in 0/90/180/270). Faces are
found in the upright image and reported in the image *as displayed*, so their points are mapped back
with :func:`points_to_displayed`.

A *tilted* face (one turned by less than a quarter turn) is found in the photo turned by an arbitrary
angle on a grown canvas (:func:`turn_image`); its points go back through the affine map that function
returns (:func:`points_back`, :func:`box_back`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from PIL import Image

from faceprint.engine.types import Box, FloatArray, RGBImage
from faceprint.errors import BadRectangle

__all__ = [
    "Affine",
    "box_back",
    "box_to_displayed",
    "clip_rectangle",
    "points_back",
    "points_to_displayed",
    "quarter_turn",
    "rotate_upright",
    "search_region",
    "turn_image",
]

#: A 2x3 affine map of continuous pixel coordinates: ``p' = A[:, :2] @ p + A[:, 2]``.
Affine = npt.NDArray[np.float64]


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


def turn_image(image: RGBImage, degrees: float) -> tuple[RGBImage, Affine]:
    """The image turned ``degrees`` clockwise about its centre (bilinear) on a canvas grown to hold all
    of it (black corners), and the affine map from the turned image's points back to ``image``'s
    (continuous pixel coordinates: a pixel spans [x, x+1))."""
    h, w = image.shape[:2]
    t = math.radians(degrees)
    c, s = math.cos(t), math.sin(t)
    tw = max(1, math.ceil(w * abs(c) + h * abs(s) - 1e-6))
    th = max(1, math.ceil(w * abs(s) + h * abs(c) - 1e-6))
    # back map p = R(-t) (q - q0) + p0, where R(t) turns clockwise in y-down coordinates
    rot = np.array([[c, s], [-s, c]], np.float64)
    shift = np.array([w / 2.0, h / 2.0]) - rot @ np.array([tw / 2.0, th / 2.0])
    back: Affine = np.concatenate([rot, shift[:, None]], axis=1)
    turned = Image.fromarray(image).transform(
        (tw, th), Image.Transform.AFFINE, tuple(back.ravel()), Image.Resampling.BILINEAR, fillcolor=(0, 0, 0)
    )
    return np.asarray(turned, dtype=np.uint8), back


def points_back(points: FloatArray, back: Affine) -> FloatArray:
    """``(N, 2)`` points mapped by ``back`` (see :func:`turn_image`)."""
    p = np.asarray(points, dtype=np.float64)
    out: FloatArray = (p @ back[:, :2].T + back[:, 2]).astype(np.float32)
    return out


def box_back(box: Box, back: Affine) -> Box:
    """A box of the turned image in the original image: the axis-aligned box of the same size centred
    on the mapped centre (a face box keeps its size when the face is turned; the bounding box of the
    turned corners would be up to 41 % larger)."""
    cx, cy = points_back(np.array([box.center], np.float32), back)[0]
    return Box(float(cx) - box.width / 2.0, float(cy) - box.height / 2.0, box.width, box.height)


def quarter_turn(degrees: float) -> int:
    """The multiple of 90 (0, 90, 180 or 270) nearest to a clockwise turn of ``degrees``."""
    return round(degrees / 90.0) * 90 % 360
