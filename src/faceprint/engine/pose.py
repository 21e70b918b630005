"""Head pose (yaw, pitch, roll in degrees) from the 468-point face mesh, or from the 5 points.

Sign conventions (those of :class:`faceprint.engine.types.Angle`), for a viewer looking at the image:

- ``roll`` > 0: the face is rotated clockwise in the image (its eye line runs down to the right).
- ``yaw`` > 0: the face turns towards the image's left (the person's right); the nose points left.
- ``pitch`` > 0: the face looks up.

Method: the mesh's 3-D points (x right, y down, z away from the camera, all in pixels) give the head's
own axes: x from the mean of nine left/right symmetric point pairs, y (down) from the forehead-to-chin
midline, orthogonalised; the rotation between those axes and the camera's is decomposed as
roll (about the view axis) first, then yaw, then pitch. ``PITCH_OFFSET_DEG`` corrects the midline's
natural backward lean (the chin sits in front of the forehead); it was set so that the median pitch of
the evaluation photos (mostly level portraits) is 0. Roll is exact geometry; yaw and pitch come from the
mesh's depth estimate, which is coarser (see docs/attributes.md).
"""

from __future__ import annotations

import math

import numpy as np

from faceprint.engine.types import Angle, FloatArray

__all__ = ["PITCH_OFFSET_DEG", "pose_from_mesh", "pose_from_points5"]

#: Degrees added to the raw midline pitch so that level portraits read ~0.
PITCH_OFFSET_DEG = 7.0

# (person's right side, person's left side): image-left, image-right on a frontal face.
_PAIRS = [(33, 263), (133, 362), (61, 291), (234, 454), (127, 356), (93, 323), (58, 288), (70, 300),
          (105, 334)]
_UPPER = [10, 151, 9, 8, 168]
_LOWER = [152, 175, 199, 200, 18, 17]


def _unit(v: FloatArray) -> FloatArray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def pose_from_mesh(points: FloatArray) -> Angle:
    """Pose of a face from its mesh points ``(468, 3)`` (image pixels, z away from the camera)."""
    p = np.asarray(points, dtype=np.float64)
    right = np.array([a for a, _ in _PAIRS])
    left = np.array([b for _, b in _PAIRS])
    ex = _unit((p[left] - p[right]).mean(axis=0))
    down = p[_LOWER].mean(axis=0) - p[_UPPER].mean(axis=0)
    ey = _unit(down - ex * float(down @ ex))
    roll = math.atan2(ex[1], ex[0])
    c, s = math.cos(-roll), math.sin(-roll)
    rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    ex2, ey2 = rz @ ex, rz @ ey
    yaw = math.asin(max(-1.0, min(1.0, -ex2[2])))
    pitch = math.atan2(-ey2[2], math.hypot(ey2[0], ey2[1]))
    return Angle(math.degrees(yaw), math.degrees(pitch) + PITCH_OFFSET_DEG, math.degrees(roll))


def pose_from_points5(points5: FloatArray) -> Angle:
    """A coarse pose from dlib's 5 points: roll from the eye line, yaw from the nose's sideways offset.

    Pitch cannot be told apart from face shape with 5 points and is reported from the nose's drop below
    the eye line relative to a typical frontal face (0.75 eye distances): rough, +-15 degrees.
    """
    from faceprint.engine._facemesh import eye_centres

    left, right, nose = (np.asarray(v, dtype=np.float64) for v in eye_centres(points5))
    v = right - left
    d = float(np.hypot(*v))
    roll = math.atan2(v[1], v[0])
    if d <= 0:
        return Angle(0.0, 0.0, math.degrees(roll))
    c, s = math.cos(-roll), math.sin(-roll)
    rel = np.array([[c, -s], [s, c]]) @ (nose - (left + right) / 2) / d
    yaw = -math.degrees(math.asin(max(-1.0, min(1.0, rel[0] / 0.6))))
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, (0.75 - rel[1]) / 0.75))))
    return Angle(yaw, pitch, math.degrees(roll))
