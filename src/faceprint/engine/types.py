"""Value types shared by the engine's stages.

Coordinates are pixels of the image *as displayed* (after EXIF orientation and after any sideways
rotation has been undone), x to the right, y down. Angles are degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from faceprint.vocabulary import Attributes

__all__ = [
    "Angle",
    "Box",
    "Detection",
    "Detector",
    "Face",
    "FloatArray",
    "ImageInput",
    "ImageSource",
    "RGBImage",
]

FloatArray = npt.NDArray[np.float32]
#: An RGB image, ``uint8`` of shape ``(height, width, 3)``.
RGBImage = npt.NDArray[np.uint8]


class Box(NamedTuple):
    """An axis-aligned box: ``left``, ``top``, ``width``, ``height`` in pixels (floats)."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2.0, self.top + self.height / 2.0)

    def intersection(self, other: Box) -> float:
        """Area shared with ``other`` (0 when disjoint)."""
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        return max(w, 0.0) * max(h, 0.0)

    def iou(self, other: Box) -> float:
        """Intersection over union, 0..1."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def shifted(self, dx: float, dy: float) -> Box:
        return Box(self.left + dx, self.top + dy, self.width, self.height)

    def scaled(self, s: float) -> Box:
        return Box(self.left * s, self.top * s, self.width * s, self.height * s)


#: An image: base64 text (optionally a data URL), the file's bytes, or decoded RGB pixels.
ImageSource = str | bytes | RGBImage


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image with the region to look in (None: the whole image), as batch calls take them."""

    source: ImageSource
    rectangle: Box | None = None


class Angle(NamedTuple):
    """Head pose in degrees. yaw > 0: the face turns to the image's left (the person's right);
    pitch > 0: the face looks up; roll > 0: the face is rotated clockwise in the image."""

    yaw: float
    pitch: float
    roll: float


class Detection(NamedTuple):
    """What a detector reports for one face, in the coordinates of the image it was given."""

    box: Box
    score: float
    #: Detector keypoints, ``(K, 2)`` float32, or None.
    keypoints: FloatArray | None = None
    #: The verifier's five points (eye centres, nose tip, mouth corners, image-left first), ``(5, 2)``, or None.
    points5: FloatArray | None = None


class Detector(Protocol):
    """A face detector: every face of at least ``min_face`` pixels in an RGB image."""

    def detect(self, image: RGBImage) -> list[Detection]: ...


@dataclass(slots=True)
class Face:
    """One face, filled in stage by stage."""

    #: Box in displayed-image pixels.
    box: Box
    #: Detection confidence, 0..1.
    score: float
    #: The 5 alignment points of dlib's 5-point model, ``(5, 2)``: the person's left eye outer and
    #: inner corners (on the image's right), the person's right eye outer and inner corners, nose base.
    points5: FloatArray | None = None
    #: Detector keypoints in displayed-image pixels, if the detector gives any.
    keypoints: FloatArray | None = None
    #: The L2-normalised descriptor of the first recogniser pack asked for (the default pack unless told).
    embedding: FloatArray | None = None
    #: Every descriptor computed for this face, by recogniser pack name.
    embeddings: dict[str, FloatArray] = field(default_factory=dict)
    #: The five points recognisers of the ``arcface`` family align with, ``(5, 2)``: the eye centre on the
    #: image's left, the other eye centre, the nose tip, the mouth corner on the image's left, the other one.
    align5: FloatArray | None = None
    #: Head pose.
    angle: Angle | None = None
    #: The guide's attributes with their confidences (None until the attribute models have run).
    attributes: Attributes | None = None
    #: Rotation (degrees clockwise, 0/90/180/270) that was applied to the image to find this face; a
    #: tilted face found in the image turned by its own angle reports the quarter turn nearest that angle.
    rotation: int = 0
    #: Milliseconds spent per stage for this face.
    timings: dict[str, float] = field(default_factory=dict)
