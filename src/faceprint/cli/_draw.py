"""``faceprint detect --draw``: boxes, landmarks and attributes drawn on the photo (Pillow)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from faceprint.client import Face
from faceprint.vocabulary import GlassStyle, RespiratorColor

__all__ = ["draw_faces", "label"]

_COLOURS = ("#00e676", "#ffea00", "#00b0ff", "#ff4081", "#ff9100", "#d500f9")


def label(face: Face, index: int) -> str:
    """A short caption: index, gender, age range, expression, glasses/mask when worn."""
    a = face.attributes
    parts = [f"#{index}"]
    if a.gender_code is not None:
        parts.append(a.gender_code.value.lower())
    if a.age_lower_limit or a.age_up_limit:
        parts.append(f"{a.age_lower_limit}-{a.age_up_limit}")
    if a.st_expression is not None:
        parts.append(a.st_expression.value.removeprefix("ST_").lower())
    if a.glass_style is not None and a.glass_style is not GlassStyle.NONE:
        parts.append(a.glass_style.value.lower())
    if a.respirator_color is RespiratorColor.OTHER:
        parts.append("mask")
    return " ".join(parts)


def draw_faces(src: Path, faces: list[Face], out: Path) -> None:
    """Write ``src`` (EXIF orientation applied, as the API's coordinates are) with every face's box,
    landmarks and caption to ``out`` (format from its suffix)."""
    with Image.open(src) as im:
        canvas = ImageOps.exif_transpose(im).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    scale = max(canvas.size) / 800.0
    width = max(2, round(2 * scale))
    font = ImageFont.load_default(size=max(12, round(14 * scale)))
    for i, face in enumerate(faces, 1):
        colour = _COLOURS[(i - 1) % len(_COLOURS)]
        r = face.rectangle
        draw.rectangle([r.left, r.top, r.right, r.bottom], outline=colour, width=width)
        dot = max(2.0, 1.5 * width)
        for p in face.landmarks:
            draw.ellipse([p.x - dot, p.y - dot, p.x + dot, p.y + dot], fill=colour)
        text = label(face, i)
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
        th = y1 - y0 + 2 * width
        ty = r.top - th if r.top - th >= 0 else r.bottom
        draw.rectangle([r.left, ty, r.left + (x1 - x0) + 2 * width, ty + th], fill=colour)
        draw.text((r.left + width, ty + width - y0), text, fill="black", font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(out)
