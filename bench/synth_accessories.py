"""Synthetic accessories drawn on real photos from the face mesh: masks, sunglasses, glasses, caps and
helmets, for fitting and checking the accessory models (bench/eval_attributes.py --fit).

Each ``synth_*(image, mesh, rng)`` returns a copy of ``image`` (uint8 RGB) with the accessory drawn where
the face mesh ``mesh`` (its 468 points in image pixels) places it; ``rng`` varies size, colour and style.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from faceprint.engine._facemesh import MeshResult
from faceprint.engine.types import RGBImage


def _poly(mesh: MeshResult, idx: list[int]) -> list[tuple[float, float]]:
    return [(float(mesh.points[i, 0]), float(mesh.points[i, 1])) for i in idx]


def _paint(image: RGBImage, draw: Callable[[ImageDraw.ImageDraw], None], colour: tuple[int, int, int],
           rng: np.random.Generator, noise: float = 4.0, soften: float = 0.8) -> RGBImage:
    h, w = image.shape[:2]
    alpha = Image.new("L", (w, h), 0)
    draw(ImageDraw.Draw(alpha))
    a = np.asarray(alpha.filter(ImageFilter.GaussianBlur(soften)), dtype=np.float64)[..., None] / 255.0
    shade = np.linspace(1.05, 0.85, h)[:, None, None] * rng.uniform(0.9, 1.05)
    layer = np.clip(np.array(colour, dtype=np.float64) * shade + rng.normal(0, noise, (h, w, 3)), 0, 255)
    return np.clip(image * (1 - a) + layer * a, 0, 255).astype(np.uint8)


def synth_mask(image: RGBImage, mesh: MeshResult, rng: np.random.Generator) -> RGBImage:
    """A surgical/cloth mask: from the nose bridge to under the chin, in a random plain colour."""
    colours = [(235, 235, 235), (190, 215, 235), (30, 30, 35), (120, 120, 125), (40, 55, 95), (220, 190, 200)]
    c = colours[int(rng.integers(len(colours)))]
    lower = [93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323]
    pts = _poly(mesh, lower)
    chin = np.array(pts[9])
    centre = mesh.points[1, :2]
    pts = [tuple(np.array(p) + (np.array(p) - centre) * 0.06) for p in pts]
    del chin
    top = [mesh.points[i, :2] for i in (351, 6, 122)]
    poly = pts + [tuple(map(float, t)) for t in top]
    return _paint(image, lambda d: d.polygon(poly, fill=255), c, rng)


def synth_sunglasses(image: RGBImage, mesh: MeshResult, rng: np.random.Generator) -> RGBImage:
    """Dark lenses over both eyes and a bridge."""
    p = mesh.points[:, :2]
    tint = [(15, 15, 18), (35, 30, 25), (20, 30, 40), (50, 45, 40)][int(rng.integers(4))]
    boxes = []
    for a, b in ((33, 133), (263, 362)):
        c = (p[a] + p[b]) / 2
        ew = float(np.hypot(*(p[a] - p[b])))
        sx, sy = ew * rng.uniform(0.85, 1.0), ew * rng.uniform(0.6, 0.8)
        boxes.append([c[0] - sx, c[1] - sy * 0.8, c[0] + sx, c[1] + sy * 1.2])
    ew = float(np.hypot(*(p[33] - p[133])))

    def draw(d: ImageDraw.ImageDraw) -> None:
        for bx in boxes:
            d.ellipse(bx, fill=255)
        y = (boxes[0][1] + boxes[0][3]) / 2 - ew * 0.2
        d.line([(boxes[0][2] - 2, y), (boxes[1][0] + 2, y)], fill=255, width=max(2, int(ew * 0.12)))

    return _paint(image, draw, tint, rng, noise=3.0)


def synth_glasses(image: RGBImage, mesh: MeshResult, rng: np.random.Generator) -> RGBImage:
    """Thin dark frames around both eyes and a bridge (clear lenses)."""
    p = mesh.points[:, :2]
    ew = float(np.hypot(*(p[33] - p[133])))
    width = max(1, round(ew * rng.uniform(0.06, 0.12)))
    colour = [(20, 20, 20), (60, 40, 30), (120, 120, 130)][int(rng.integers(3))]
    boxes = []
    for a, b in ((33, 133), (263, 362)):
        c = (p[a] + p[b]) / 2
        sx, sy = ew * rng.uniform(0.8, 0.95), ew * rng.uniform(0.5, 0.7)
        boxes.append([c[0] - sx, c[1] - sy * 0.9, c[0] + sx, c[1] + sy * 1.1])

    def draw(d: ImageDraw.ImageDraw) -> None:
        for bx in boxes:
            d.ellipse(bx, outline=255, width=width)
        y = (boxes[0][1] + boxes[0][3]) / 2 - ew * 0.15
        d.line([(boxes[0][2] - 1, y), (boxes[1][0] + 1, y)], fill=255, width=width)

    return _paint(image, draw, colour, rng, noise=2.0, soften=0.5)


def synth_cap(image: RGBImage, mesh: MeshResult, rng: np.random.Generator) -> RGBImage:
    """A cap or hat: the head's top and the upper forehead covered, with a brim line."""
    p = mesh.points[:, :2]
    colour = [(30, 30, 30), (200, 30, 30), (30, 60, 140), (220, 220, 220), (110, 90, 60)][int(rng.integers(5))]
    brow_y = [p[i] for i in (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)]
    up = p[10] - p[152]
    cut = rng.uniform(0.15, 0.45)
    edge = [tuple(b + up * cut * 0.5) for b in brow_y]
    left, right = p[234] + up * cut * 0.6, p[454] + up * cut * 0.6
    crown = [tuple(right + up * 0.6), tuple(p[10] + up * 0.7), tuple(left + up * 0.6)]
    poly = [tuple(map(float, left))] + [tuple(map(float, e)) for e in edge] + [tuple(map(float, right))]
    poly += [tuple(map(float, c)) for c in crown]
    return _paint(image, lambda d: d.polygon(poly, fill=255), colour, rng, noise=6.0)


HELMET_COLOURS = [(235, 190, 20), (235, 235, 232), (235, 110, 20), (200, 30, 30), (30, 70, 170), (25, 25, 28)]


def synth_helmet(image: RGBImage, mesh: MeshResult, rng: np.random.Generator) -> RGBImage:
    """A safety/bike helmet: a shaded, glossy shell from a little above the eyebrows over the crown, wider
    than the face and down over the temples; sometimes a brim edge, sometimes a chin strap."""
    p = mesh.points[:, :2].astype(np.float64)
    up = p[10] - p[152]
    height = float(np.hypot(*up))
    v = up / height
    u = np.array([-v[1], v[0]])
    if float((p[454] - p[234]) @ u) < 0:
        u = -u
    half = float((p[454] - p[234]) @ u) / 2.0
    brow = np.mean([p[i] for i in (70, 63, 105, 66, 107, 336, 296, 334, 293, 300)], axis=0)
    centre = (p[234] + p[454]) / 2.0
    origin = centre + v * float((brow - centre) @ v)  # on the face's midline, at eyebrow height
    rim = height * rng.uniform(0.05, 0.12)  # the front edge's height above the brows
    a = half * rng.uniform(1.22, 1.42)  # shell half-width
    top = float((p[10] - origin) @ v)
    b = top - rim + height * rng.uniform(0.5, 0.68)  # shell height above the rim
    drop = height * rng.uniform(0.1, 0.2)  # how far the sides come down over the temples

    def at(x: float, y: float) -> tuple[float, float]:
        q = origin + u * x + v * y
        return float(q[0]), float(q[1])

    dome = [at(a * math.cos(t), rim + b * math.sin(t)) for t in np.linspace(0.0, math.pi, 40)]
    front = [at(-a * 0.97, rim - drop), at(-half * 0.75, rim - drop * 0.15)]
    arch = np.linspace(-half * 0.6, half * 0.6, 9)
    front += [at(x, rim + height * 0.02 * (1 - (x / half) ** 2)) for x in arch]
    front += [at(half * 0.75, rim - drop * 0.15), at(a * 0.97, rim - drop)]
    shell = dome + front
    h, w = image.shape[:2]
    alpha = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(alpha)
    d.polygon(shell, fill=255)
    brim = Image.new("L", (w, h), 0)
    if rng.random() < 0.6:  # brim / visor edge along the front, a shade darker than the shell
        ImageDraw.Draw(brim).line(front, fill=255, width=max(2, round(height * rng.uniform(0.04, 0.07))))
    strap = rng.random() < 0.4
    if strap:
        pts = [tuple(map(float, p[i])) for i in (234, 132, 172, 150, 152, 379, 397, 361, 454)]
        sw = max(1, round(height * 0.02))
        sa = Image.new("L", (w, h), 0)
        ImageDraw.Draw(sa).line(pts, fill=255, width=sw, joint="curve")
    colour = np.array(HELMET_COLOURS[int(rng.integers(len(HELMET_COLOURS)))], dtype=np.float64)
    colour = np.clip(colour * rng.uniform(0.85, 1.1), 0, 255)
    # Shading: a lit ellipsoid, light from above-front on a random side, plus a specular highlight.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    rel_x, rel_y = xx - origin[0], yy - origin[1]
    xs = (rel_x * u[0] + rel_y * u[1]) / a
    ys = ((rel_x * v[0] + rel_y * v[1]) - rim) / b
    zs = np.sqrt(np.clip(1.0 - xs**2 - np.clip(ys, 0, None) ** 2, 0.0, 1.0))
    side = rng.uniform(-0.6, 0.6)
    light = np.array([side, 0.55, 0.75])
    light /= np.linalg.norm(light)
    lambert = np.clip(xs * light[0] + np.clip(ys, 0, None) * light[1] + zs * light[2], 0.0, 1.0)
    shade = rng.uniform(0.35, 0.5) + rng.uniform(0.55, 0.7) * lambert
    spot = np.exp(-((xs - side * 0.45) ** 2 + (ys - 0.55) ** 2) / (2 * rng.uniform(0.12, 0.2) ** 2))
    gloss = rng.uniform(0.35, 0.8) * spot
    layer = colour * shade[..., None]
    layer = layer * (1 - gloss[..., None]) + 255.0 * gloss[..., None]
    layer = np.clip(layer + rng.normal(0, 2.5, (h, w, 3)), 0, 255)
    al = np.asarray(alpha.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float64)[..., None] / 255.0
    out = image * (1 - al) + layer * al
    bal = np.asarray(brim.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float64)[..., None] / 255.0
    out = out * (1 - bal) + np.clip(colour * rng.uniform(0.55, 0.75) + 10.0, 0, 255) * bal
    if strap:
        sal = np.asarray(sa.filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float64)[..., None] / 255.0
        out = out * (1 - sal) + np.array([25.0, 25.0, 28.0]) * sal
    result: RGBImage = np.clip(out, 0, 255).astype(np.uint8)
    return result


SYNTH: dict[str, Callable[[RGBImage, MeshResult, np.random.Generator], RGBImage]] = {
    "mask": synth_mask, "sunglasses": synth_sunglasses, "glasses": synth_glasses, "cap": synth_cap,
    "helmet": synth_helmet,
}
