"""The whole engine on real models and real photos."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from faceprint.engine import Engine
from faceprint.engine.geometry import rotate_upright
from faceprint.engine.similarity import DEFAULT_THRESHOLD
from faceprint.engine.types import Box
from faceprint.errors import BadRectangle, NoFace

ASTRONAUT = np.ascontiguousarray(skdata.astronaut())
# Eileen Collins' face in skimage's astronaut photo lies around x 160-240, y 60-160
FACE_CENTRE = (200.0, 115.0)


def _jpeg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def test_astronaut_one_face_with_everything(engine: Engine) -> None:
    found = engine.detect(_jpeg(ASTRONAUT), embed=True)
    assert found.width == 512 and found.height == 512 and found.rotation == 0
    assert len(found.faces) == 1
    f = found.faces[0]
    cx, cy = f.box.center
    assert abs(cx - FACE_CENTRE[0]) < 30 and abs(cy - FACE_CENTRE[1]) < 30
    assert 50 < f.box.width < 150
    assert f.points5 is not None and f.points5.shape == (5, 2)
    # eyes above the nose base, inside the box
    assert f.points5[:4, 1].max() < f.points5[4, 1]
    assert f.embedding is not None and f.embedding.shape == (128,)
    assert abs(float(np.linalg.norm(f.embedding)) - 1.0) < 1e-5
    assert 0.0 < f.score <= 1.0
    for stage in ("decode", "detect", "landmarks", "embed", "total"):
        assert found.timings[stage] >= 0.0


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_sideways_photo_is_turned_upright_and_reported_as_displayed(engine: Engine, rotation: int) -> None:
    upright = engine.detect(ASTRONAUT, embed=True, attributes=False)
    # the displayed photo is the upright one turned counter-clockwise by `rotation`
    shown = rotate_upright(ASTRONAUT, (360 - rotation) % 360)
    found = engine.detect(shown, embed=True, attributes=False)
    assert found.rotation == rotation
    assert len(found.faces) == 1
    f = found.faces[0]
    # the box lies around where the face is in the displayed photo
    marker = np.zeros(ASTRONAUT.shape[:2], np.uint8)
    marker[int(FACE_CENTRE[1]), int(FACE_CENTRE[0])] = 1
    ys, xs = np.nonzero(rotate_upright(marker[:, :, None].repeat(3, 2), (360 - rotation) % 360)[:, :, 0])
    cx, cy = f.box.center
    assert abs(cx - xs[0]) < 35 and abs(cy - ys[0]) < 35
    assert upright.faces[0].embedding is not None and f.embedding is not None
    assert float(np.dot(upright.faces[0].embedding, f.embedding)) > 0.97


def test_rectangle_limits_the_search(engine: Engine) -> None:
    inside = engine.detect(ASTRONAUT, Box(150, 50, 120, 130), attributes=False)
    assert len(inside.faces) == 1
    elsewhere = engine.detect(ASTRONAUT, Box(300, 350, 200, 150), attributes=False)
    assert elsewhere.faces == []
    with pytest.raises(BadRectangle):
        engine.detect(ASTRONAUT, Box(600, 600, 50, 50))


def test_compare_same_and_different_people(engine: Engine) -> None:
    flipped = np.ascontiguousarray(ASTRONAUT[:, ::-1])
    same = engine.compare(ASTRONAUT, flipped)
    assert same.score >= DEFAULT_THRESHOLD
    camera = np.ascontiguousarray(np.repeat(skdata.camera()[:, :, None], 3, axis=2))
    other = engine.compare(ASTRONAUT, camera)
    assert other.score < same.score
    assert 0.0 <= other.score <= 1.0
    assert same.one_face.embedding is not None


def test_no_face(engine: Engine) -> None:
    blank = np.full((200, 200, 3), 127, np.uint8)
    assert engine.detect(blank).faces == []
    with pytest.raises(NoFace):
        engine.largest_face(blank)
    with pytest.raises(NoFace):
        engine.compare(ASTRONAUT, blank)


def test_embed_many_keeps_order_and_errors(engine: Engine) -> None:
    blank = np.full((200, 200, 3), 127, np.uint8)
    out = engine.embed_many([(ASTRONAUT, None), (blank, None), (_jpeg(ASTRONAUT), None)])
    assert isinstance(out[1], NoFace)
    a, b = out[0], out[2]
    assert not isinstance(a, Exception) and not isinstance(b, Exception)
    assert a[0].embedding is not None and b[0].embedding is not None
    assert float(np.dot(a[0].embedding, b[0].embedding)) > 0.98


def test_group_photo_finds_the_labelled_faces(engine: Engine, faces_dir: Path) -> None:
    found = engine.detect((faces_dir / "fr_kit_with_rose.jpg").read_bytes(), attributes=False)
    assert len(found.faces) == 2
    found = engine.detect((faces_dir / "compreface_016_8.jpg").read_bytes(), attributes=False)
    assert len(found.faces) >= 7


def test_exif_rotated_photo_matches_its_upright_twin(engine: Engine, faces_dir: Path) -> None:
    a = engine.compare((faces_dir / "deepface_img24_exif6.jpg").read_bytes(),
                       (faces_dir / "deepface_img25.jpg").read_bytes())
    assert a.score >= DEFAULT_THRESHOLD
    assert a.one_face.rotation == 0  # EXIF made it upright: no extra rotation needed


def test_pixel_rotated_photos_are_found_and_matched(engine: Engine, faces_dir: Path) -> None:
    # the labels say how the pixels were turned (clockwise); the engine reports the clockwise turn
    # that makes the photo upright again, so a photo turned 90 needs 270
    for name, twin, turned in [("deepface_img6_rot90.jpg", "deepface_img1.jpg", 90),
                               ("deepface_img20_rot180.jpg", "deepface_img21.jpg", 180),
                               ("deepface_img29_rot270.jpg", "deepface_img30.jpg", 270)]:
        cmp = engine.compare((faces_dir / name).read_bytes(), (faces_dir / twin).read_bytes())
        assert cmp.one_face.rotation == (360 - turned) % 360, name
        assert cmp.score >= DEFAULT_THRESHOLD, name
