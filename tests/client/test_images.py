"""Image inputs: a path, bytes, base64 and data URLs all become the same wire data."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from faceprint.client import Rectangle, encode_image
from faceprint.client._images import image_object


def test_every_form_of_an_image_encodes_to_the_same_base64(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10
    f = tmp_path / "photo.jpg"
    f.write_bytes(data)
    want = base64.b64encode(data).decode()
    assert encode_image(f) == want
    assert encode_image(str(f)) == want
    assert encode_image(data) == want
    assert encode_image(bytearray(data)) == want
    assert encode_image(want) == want
    assert encode_image("data:image/jpeg;base64," + want) == want


def test_a_missing_path_is_not_sent_as_base64(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        encode_image(str(tmp_path / "missing.jpg"))
    with pytest.raises(FileNotFoundError):
        encode_image(tmp_path / "missing.jpg")


def test_rectangles_go_on_the_wire_as_ints() -> None:
    obj = image_object(b"x", Rectangle(top=1, left=2, width=3, height=4))
    assert obj["rectangle"] == {"top": 1, "left": 2, "width": 3, "height": 4}
    assert image_object(b"x", {"top": 5.0, "left": 6, "width": 7, "height": 8})["rectangle"]["top"] == 5
