"""Image intake: every accepted kind of file decodes upright, every refusal has its own code."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from faceprint.engine.image import decode_base64, decode_image
from faceprint.errors import (
    BadBase64,
    CorruptImage,
    ImageTooLarge,
    ImageTooManyPixels,
    ImageTooSmall,
    UnsupportedFormat,
)

ASTRONAUT = skdata.astronaut()  # 512x512 RGB


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP", "TIFF", "GIF", "WEBP"])
def test_every_accepted_format_decodes_to_rgb(fmt: str) -> None:
    raw = _encode(Image.fromarray(ASTRONAUT), fmt)
    out = decode_image(base64.b64encode(raw).decode())
    assert out.pixels.shape == (512, 512, 3)
    assert out.pixels.dtype == np.uint8
    assert out.format == fmt
    # lossy formats drift, but the picture is the same picture
    assert np.abs(out.pixels.astype(int) - ASTRONAUT.astype(int)).mean() < 25


def test_data_url_prefix_urlsafe_and_whitespace_are_accepted() -> None:
    raw = _encode(Image.fromarray(ASTRONAUT), "PNG")
    b64 = base64.b64encode(raw).decode()
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    assert decode_image("data:image/png;base64," + wrapped).format == "PNG"
    assert decode_image(base64.urlsafe_b64encode(raw).decode().rstrip("=")).format == "PNG"


def test_gif_first_frame_only() -> None:
    frames = [Image.new("RGB", (64, 64), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    out = decode_image(buf.getvalue())
    assert out.pixels[32, 32, 0] > 200 and out.pixels[32, 32, 2] < 50


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "CMYK", "I;16"])
def test_modes_become_rgb(mode: str) -> None:
    src = Image.fromarray(ASTRONAUT)
    if mode == "I;16":
        grey = np.asarray(src.convert("L"), dtype=np.uint16) * 257
        img = Image.fromarray(grey)
        fmt = "PNG"
    else:
        img = src.convert(mode)
        fmt = "TIFF" if mode == "CMYK" else "PNG"
    out = decode_image(_encode(img, fmt))
    assert out.pixels.shape == (512, 512, 3)
    grey_ref = np.asarray(src.convert("L"), dtype=float)
    assert np.abs(out.pixels.mean(axis=2) - grey_ref).mean() < 30


def test_alpha_is_composited_on_white() -> None:
    img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    out = decode_image(_encode(img, "PNG"))
    assert (out.pixels == 255).all()


@pytest.mark.parametrize("orientation,expected_shape", [(6, (60, 40, 3)), (8, (60, 40, 3)), (3, (40, 60, 3))])
def test_exif_orientation_is_applied(orientation: int, expected_shape: tuple[int, int, int]) -> None:
    arr = np.zeros((40, 60, 3), np.uint8)
    arr[:, :30] = 255  # left half white as stored
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = decode_image(_encode(img, "JPEG", exif=exif, quality=95))
    assert out.pixels.shape == expected_shape
    assert out.orientation == orientation
    if orientation == 6:  # rotated 90 clockwise for display: stored left half ends on top
        assert out.pixels[:25].mean() > 200 and out.pixels[35:].mean() < 50


def test_invalid_orientation_tag_is_tolerated() -> None:
    exif = Image.Exif()
    exif[0x0112] = 42
    out = decode_image(_encode(Image.fromarray(ASTRONAUT), "JPEG", exif=exif))
    assert out.pixels.shape == (512, 512, 3) and out.orientation == 1


def test_bad_base64() -> None:
    with pytest.raises(BadBase64) as e:
        decode_image("this is not base64!!")
    assert e.value.internal_code == 1101
    with pytest.raises(BadBase64):
        decode_image("")


def test_unsupported_format() -> None:
    with pytest.raises(UnsupportedFormat) as e:
        decode_image(b"%PDF-1.4 not an image at all" * 10)
    assert e.value.internal_code == 1102
    ico = _encode(Image.fromarray(ASTRONAUT).resize((64, 64)), "ICO")
    with pytest.raises(UnsupportedFormat):
        decode_image(ico)


def test_truncated_and_corrupt_images() -> None:
    raw = _encode(Image.fromarray(ASTRONAUT), "JPEG")
    with pytest.raises(CorruptImage) as e:
        decode_image(raw[: len(raw) // 2])
    assert e.value.internal_code == 1104
    png = _encode(Image.fromarray(ASTRONAUT), "PNG")
    with pytest.raises(CorruptImage):
        decode_image(png[:-2000])


def test_file_over_8_mb_is_refused_before_decoding() -> None:
    raw = b"\xff\xd8\xff" + bytes(9 * 1024 * 1024)
    with pytest.raises(ImageTooLarge) as e:
        decode_image(base64.b64encode(raw).decode())
    assert e.value.internal_code == 1103
    with pytest.raises(ImageTooLarge):
        decode_image(raw)
    with pytest.raises(ImageTooLarge):
        decode_base64("A" * (12 * 1024 * 1024))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height but carries a tiny compressed body (a decompression bomb)."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\x00" + bytes(width)
    idat = zlib.compress(row * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_not_decoded() -> None:
    bomb = _png_header_only(30000, 30000)
    assert len(bomb) < 100_000
    with pytest.raises(ImageTooManyPixels) as e:
        decode_image(base64.b64encode(bomb).decode())
    assert e.value.internal_code == 1105


def test_tiny_image_is_refused() -> None:
    with pytest.raises(ImageTooSmall) as e:
        decode_image(_encode(Image.new("RGB", (20, 20)), "PNG"))
    assert e.value.internal_code == 1110
