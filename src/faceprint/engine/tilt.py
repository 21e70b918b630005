"""Tilted faces: found again in the photo turned by the angle their keypoints give.

The detector's O-net check was trained on upright faces: a face turned by 30 degrees or more (a tilted
head, a photo held askew) often scores below its threshold although BlazeFace finds it and places its
eyes well. When the engine finds no upright face, :func:`find_tilted` reads the eye-line angle of each
BlazeFace candidate, checks on a small crop around it turned by the opposite angle that the detector
finds a face standing upright there, and then runs the whole detector on the image turned by that
angle. A face found that way has passed the same checks as an upright one, and it must stand upright
in the turned image (its keypoints' eye line within :data:`MAX_RESIDUAL`): BlazeFace
also fires, with slanted keypoints, on sideways and upside-down faces, and a turn by such a candidate's
angle can show the detector something it accepts that is no upright face (measured on the labelled
photos: faces brought upright lean 0-10 degrees, such finds 15-50). BlazeFace's keypoints understate
a strong lean (-35 degrees for a head leaning ~-60), so a face found still leaning gets one more turn by
the lean left, kept within :data:`MAX_TURN` (beyond it a quarter turn is the better guess). Its
landmarks, mesh and descriptor are computed on the upright face; the engine maps its points back
(:func:`faceprint.engine.geometry.points_back`).

Cost: the candidates come from the upright search that found nothing (no extra pass); for each
distinct tilt tried (at most :data:`MAX_TRIES`, only when a candidate is tilted) one or two detector
runs on a small crop around the candidate (the turn checked, and once refined); and one detector run on
the whole image turned by a turn that checked out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from faceprint.engine._blazeface import RawDetections
from faceprint.engine.detection import FaceDetector
from faceprint.engine.geometry import Affine, turn_image
from faceprint.engine.types import Detection, FloatArray, RGBImage

__all__ = [
    "CROP",
    "CROP_SIDE",
    "MAX_RESIDUAL",
    "MAX_TILT",
    "MAX_TRIES",
    "MAX_TURN",
    "MIN_TILT",
    "Tilted",
    "find_tilted",
    "keypoint_roll",
    "settle_turn",
    "tilt_turns",
]

#: Eye-line angle (degrees, either way) from which a candidate counts as tilted: below it, turning the
#: image changes too little to matter.
MIN_TILT = 10.0
#: Largest eye-line angle (degrees) tried; beyond it, sideways photos are the quarter turns' business
#: (BlazeFace reads the eye line of some sideways faces as 50-55 degrees: those tries are turned down
#: by the :data:`MAX_RESIDUAL` check).
MAX_TILT = 60.0
#: Largest eye-line angle (degrees, either way) of a face found in the turned image.
MAX_RESIDUAL = 12.0
#: Largest turn (degrees, either way) tried after a face was found still leaning.
MAX_TURN = 75.0
#: Most distinct turns tried per image.
MAX_TRIES = 2
#: Side of the crop a turn is checked on, in candidate box sides.
CROP = 2.0
#: Longest side (pixels) the crop is scaled down to (or to 3 ``min_face``, if larger): its face is then
#: about half that, well above the detector's ``min_face``.
CROP_SIDE = 192
#: Turns closer than this (degrees) count as one.
SAME_TURN = 10.0


@dataclass(slots=True)
class Tilted:
    """Faces found in the image turned ``turn`` degrees clockwise (``image``); ``back`` maps that
    image's points to the original image."""

    turn: float
    image: RGBImage
    back: Affine
    detections: list[Detection]


def keypoint_roll(keypoints: FloatArray) -> float:
    """Roll (degrees, > 0 clockwise, -180..180) of a face from BlazeFace's keypoints ``(6, 2)``: the
    angle of the line from the eye on the image's left to the other eye."""
    dx, dy = (float(v) for v in keypoints[1] - keypoints[0])
    return math.degrees(math.atan2(dy, dx))


def tilt_turns(candidates: RawDetections) -> list[tuple[float, FloatArray]]:
    """Clockwise turns (degrees) that bring the tilted candidates upright, each with its candidate's box
    (x1, y1, x2, y2): the best-scored candidate's first, at most :data:`MAX_TRIES`, no two within
    :data:`SAME_TURN` of each other."""
    turns: list[tuple[float, FloatArray]] = []
    for i in np.argsort(-candidates.scores):
        roll = keypoint_roll(candidates.keypoints[i])
        if not MIN_TILT <= abs(roll) <= MAX_TILT:
            continue
        if all(abs(-roll - t) >= SAME_TURN for t, _ in turns):
            turns.append((-roll, candidates.boxes[i]))
            if len(turns) == MAX_TRIES:
                break
    return turns


def settle_turn(detector: FaceDetector, image: RGBImage, box: FloatArray, turn: float) -> float | None:
    """The turn that stands a tilted candidate's face upright, checked on a crop around it (the box
    grown :data:`CROP` times, at most :data:`CROP_SIDE` pixels, so the check is cheap whatever the
    photo's size): ``turn``, or ``turn``
    less the lean still left once (:data:`MAX_TURN` at most), or None when no upright face shows."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    half = CROP * max(x2 - x1, y2 - y1) / 2.0
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    top, left = max(0, int(cy - half)), max(0, int(cx - half))
    crop = image[top : min(h, int(cy + half) + 1), left : min(w, int(cx + half) + 1)]
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return None
    scale = max(CROP_SIDE, 3 * detector.min_face) / max(crop.shape[:2])
    if scale < 1.0:  # the face needs no more pixels than this to be told upright
        size = (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale)))
        crop = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))
    for _ in range(2):  # the candidate's angle, then once more by the lean left
        found = detector.detect(turn_image(crop, turn)[0], largest_only=True)
        if not found:
            return None
        if any(abs(_lean(d)) <= MAX_RESIDUAL for d in found):
            return turn
        turn -= _lean(max(found, key=lambda d: d.box.area))
        if not MIN_TILT <= abs(turn) <= MAX_TURN:
            return None
    return None


def find_tilted(detector: FaceDetector, image: RGBImage, largest_only: bool = False,
                candidates: RawDetections | None = None) -> Tilted | None:
    """The upright faces of the image turned by the first settled turn (see :func:`tilt_turns` and
    :func:`settle_turn`), or None. ``largest_only`` as in :meth:`FaceDetector.detect`. ``candidates``:
    BlazeFace's candidates on the image when the caller has them (from
    :meth:`FaceDetector.detect_with_candidates`); else they are computed."""
    if candidates is None:
        candidates = detector.candidates(image)
    for first, box in tilt_turns(candidates):
        turn = settle_turn(detector, image, box, first)
        if turn is None:
            continue
        turned, back = turn_image(image, turn)
        found = detector.detect(turned, largest_only=largest_only)
        upright = [d for d in found if abs(_lean(d)) <= MAX_RESIDUAL]
        if upright:
            return Tilted(turn, turned, back, upright)
    return None


def _lean(d: Detection) -> float:
    return 0.0 if d.keypoints is None else keypoint_roll(d.keypoints)
