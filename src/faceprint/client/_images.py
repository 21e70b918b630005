"""Turning what a caller holds (a path, file bytes, base64) into the wire's image object."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from faceprint.client._models import Rectangle

__all__ = ["ImageInput", "RectangleInput", "encode_image", "image_object", "rectangle_to_wire"]

#: An image: a path (``str`` or ``os.PathLike``), the encoded file's bytes (JPG, PNG, BMP, TIFF, GIF,
#: WebP), or a base64 string of those bytes (a ``data:image/...;base64,`` prefix is stripped).
ImageInput: TypeAlias = str | bytes | bytearray | memoryview | os.PathLike[str]
#: A rectangle: :class:`Rectangle` or a mapping with ``top``, ``left``, ``width``, ``height`` (pixels).
RectangleInput: TypeAlias = Rectangle | Mapping[str, int]

_B64_RE = re.compile(r"^[A-Za-z0-9+/\r\n]+={0,2}\s*$")


def encode_image(image: ImageInput) -> str:
    """The base64 text of an image's file bytes.

    A ``str`` is a path when such a file exists; otherwise it must be base64 (optionally a ``data:`` URL).
    Raises FileNotFoundError for a ``str`` that is neither, or for a missing ``PathLike``."""
    if isinstance(image, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(image)).decode("ascii")
    if isinstance(image, os.PathLike):
        return base64.b64encode(Path(image).read_bytes()).decode("ascii")
    if isinstance(image, str):
        if image.startswith("data:"):
            _, _, payload = image.partition(",")
            return payload
        if len(image) <= 4096 and "\n" not in image:
            path = Path(image).expanduser()
            try:
                is_file = path.is_file()
            except OSError:  # e.g. a base64 string too long to be a file name
                is_file = False
            if is_file:
                return base64.b64encode(path.read_bytes()).decode("ascii")
        if len(image) >= 16 and _B64_RE.match(image):
            return image
        raise FileNotFoundError(f"No such image file (and not base64 either): {image[:200]!r}")
    raise TypeError(f"An image must be a path, bytes or a base64 str, not {type(image).__name__}")


def rectangle_to_wire(rect: RectangleInput) -> dict[str, int]:
    """``{"top", "left", "width", "height"}`` of a :class:`Rectangle` or mapping, as ints."""
    if isinstance(rect, Rectangle):
        return rect.to_wire()
    return {k: int(rect[k]) for k in ("top", "left", "width", "height")}


def image_object(image: ImageInput, rectangle: RectangleInput | None = None) -> dict[str, Any]:
    """The wire's image object ``{"data": <base64>, "rectangle"?: {...}}``."""
    obj: dict[str, Any] = {"data": encode_image(image)}
    if rectangle is not None:
        obj["rectangle"] = rectangle_to_wire(rectangle)
    return obj
