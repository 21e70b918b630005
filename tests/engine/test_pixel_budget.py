"""Issue 14: the decoded pixels are counted from the header before decoding; a JPEG over the budget is
decoded reduced (draft mode) and its faces still reported in the file's pixels; any other file over it is
refused at once, never decoded."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from faceprint.engine import Engine
from faceprint.engine.image import decode_image, load_image
from faceprint.errors import ImageTooManyPixels


def _encoded(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_large_jpeg_is_decoded_reduced_by_draft() -> None:
    raw = _encoded(Image.new("RGB", (4000, 3000), (90, 120, 200)), "JPEG", quality=80)
    d = load_image(raw, max_pixels=50_000_000, work_pixels=2_000_000)
    assert d.scale == 4.0 and (d.width, d.height) == (1000, 750)
    d = load_image(raw, max_pixels=50_000_000, work_pixels=12_000_000)
    assert d.scale == 1.0 and (d.width, d.height) == (4000, 3000)


def test_png_over_the_budget_is_refused_from_its_header() -> None:
    bomb = _encoded(Image.new("L", (7000, 7000), 0), "PNG", optimize=True)  # 49 MP, a few dozen KB
    assert len(bomb) < 200_000
    t0 = time.perf_counter()
    with pytest.raises(ImageTooManyPixels, match="7000x7000"):
        decode_image(bomb, max_pixels=50_000_000, work_pixels=16_000_000)
    assert time.perf_counter() - t0 < 0.5  # the header only: decoding it takes seconds


def test_faces_of_a_reduced_jpeg_are_in_the_file_pixels(engine: Engine, faces_dir: Path) -> None:
    photo = Image.open(faces_dir / "deepface_img1.jpg").convert("RGB")
    big = photo.resize((photo.width * 4, photo.height * 4), Image.Resampling.BICUBIC)
    raw = _encoded(big, "JPEG", quality=90)
    small = Engine(engine.model_dir, threads=1, max_decode_pixels=(photo.width * photo.height * 2))
    try:
        reduced = small.detect(raw, attributes=False)
    finally:
        small.close()
    full = engine.detect(_encoded(photo, "JPEG", quality=90), attributes=False)
    assert (reduced.width, reduced.height) == big.size
    assert len(reduced.faces) == len(full.faces) >= 1
    a, b = reduced.faces[0].box, full.faces[0].box.scaled(4.0)
    assert abs(a.left - b.left) < 0.05 * b.width and abs(a.width - b.width) < 0.1 * b.width
    assert reduced.faces[0].points5 is not None and full.faces[0].points5 is not None
    assert abs(reduced.faces[0].points5 - full.faces[0].points5 * 4).max() < 0.05 * b.width
