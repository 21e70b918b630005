"""A photo turned upside down or sideways over HTTP, with the real engine: the quality check reports the turn
that makes it upright, and 1:1 comparison matches it to its upright source, not to someone else (issue 15:
an upside-down copy was once taken for an upright face, and the wrong person matched)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from faceprint.engine.geometry import rotate_upright
from faceprint.engine.similarity import DEFAULT_THRESHOLD
from tests.api.conftest import Signed


def _turned_b64(path: Path, turn: int) -> str:
    with Image.open(path) as im:
        pixels = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    buf = io.BytesIO()
    Image.fromarray(rotate_upright(pixels, turn)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize("turn", [180, 90])
def test_a_turned_photo_is_turned_back_and_matches_its_source(
    fapi: Signed, faces_dir: Path, photos: dict[str, str], turn: int
) -> None:
    turned = _turned_b64(faces_dir / "deepface_img4.jpg", turn)
    q = fapi.post("/quality", {"image": {"data": turned}})
    assert q.status_code == 200, q.text
    assert q.json()["optimal_rotation_angle"] == (360 - turn) % 360
    same = fapi.post("/compare", {"one": {"data": turned}, "another": {"data": photos["jolie4"]}})
    assert same.status_code == 200, same.text
    assert same.json()["score"] >= DEFAULT_THRESHOLD
    other = fapi.post("/compare", {"one": {"data": turned}, "another": {"data": photos["damon1"]}})
    assert other.json()["score"] < DEFAULT_THRESHOLD
