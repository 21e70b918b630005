"""Head pose: roll follows known rotations of real photos; yaw flips sign on a mirrored face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from faceprint.engine import Engine
from faceprint.engine.pose import pose_from_mesh, pose_from_points5
from faceprint.engine.types import Angle, RGBImage


def load(faces_dir: Path, name: str) -> RGBImage:
    with Image.open(faces_dir / name) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"), dtype=np.uint8)


def rotate(image: RGBImage, degrees: float) -> RGBImage:
    """Clockwise by ``degrees``, canvas expanded."""
    return np.asarray(Image.fromarray(image).rotate(-degrees, resample=Image.Resampling.BILINEAR, expand=True))


def angle_of(engine: Engine, image: RGBImage) -> Angle:
    face, _ = engine.largest_face(image, embed=False, attributes=True)
    assert face.angle is not None
    return face.angle


@pytest.mark.parametrize("name", ["fr_obama.jpg", "deepface_img29.jpg", "jcv_kishida_sample.jpg"])
def test_roll_follows_rotation(engine: Engine, faces_dir: Path, name: str) -> None:
    image = load(faces_dir, name)
    base = angle_of(engine, image).roll
    for degrees in (-30, -15, 15, 30):
        roll = angle_of(engine, rotate(image, degrees)).roll
        assert abs(roll - base - degrees) < 5.0, (degrees, roll, base)


def test_level_portrait_is_near_zero(engine: Engine, faces_dir: Path) -> None:
    a = angle_of(engine, load(faces_dir, "fr_obama.jpg"))
    assert abs(a.roll) < 5 and abs(a.yaw) < 10 and abs(a.pitch) < 15


def test_yaw_sign_and_mirror(engine: Engine, faces_dir: Path) -> None:
    # Kit Harington turns to the image's left (his right): yaw > 0; the mirrored photo turns the other way.
    image = load(faces_dir, "fr_kit_harington2.jpeg")
    a = angle_of(engine, image)
    b = angle_of(engine, np.ascontiguousarray(image[:, ::-1]))
    assert a.yaw > 8 and b.yaw < -8
    assert abs(a.yaw + b.yaw) < 6
    assert abs(a.roll + b.roll) < 3


def test_points5_fallback_roll() -> None:
    # dlib order: image-right eye (outer, inner), image-left eye (outer, inner), nose base.
    p = np.array([[70, 40], [58, 40], [30, 40], [42, 40], [50, 60]], dtype=np.float32)
    assert abs(pose_from_points5(p).roll) < 1e-6
    t = np.deg2rad(20)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    q = (p - 50) @ rot.T + 50
    assert abs(pose_from_points5(q.astype(np.float32)).roll - 20) < 1e-3


def test_mesh_pose_of_a_rotated_mesh_is_exact() -> None:
    rng = np.random.default_rng(1)
    pts = rng.normal(0, 30, (468, 3))
    pts[:, 0] = np.abs(pts[:, 0])
    base = pose_from_mesh(pts.astype(np.float32))
    t = np.deg2rad(25)
    rz = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    turned = pose_from_mesh((pts @ rz.T).astype(np.float32))
    assert abs((turned.roll - base.roll - 25 + 180) % 360 - 180) < 1e-4
    assert abs(turned.yaw - base.yaw) < 1e-4 and abs(turned.pitch - base.pitch) < 1e-4
