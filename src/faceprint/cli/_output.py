"""What the CLI writes: human lines on stdout, JSON for ``--json``, notes and progress on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from faceprint.client import (
    Comparison,
    Database,
    Face,
    Feature,
    QualityResult,
    SearchResponse,
    Status,
)
from faceprint.logsafe import printable
from faceprint.vocabulary import Attributes, CapStyle, GlassStyle, HelmetStyle, MustacheStyle, RespiratorColor

__all__ = [
    "Progress",
    "emit",
    "emit_json",
    "face_lines",
    "format_comparison",
    "format_database",
    "format_feature",
    "format_quality",
    "format_search",
    "note",
    "status_text",
]

#: The guide's "passport-like" reference range of each quality-check field (inclusive; None: unbounded).
QUALITY_RANGES: dict[str, tuple[float | None, float | None]] = {
    "angle.yaw": (-10.0, 10.0),
    "angle.pitch": (-15.0, 15.0),
    "angle.roll": (-10.0, 10.0),
    "quality.distance2center": (0.2, 1.0),
    "quality.align_score": (1.0, None),
    "quality.brightness": (-0.5, 0.5),
    "quality.sharpness": (0.8, 1.0),
    "quality.mouth_open": (0.0, 0.4),
    "quality.missing": (0.9, 1.0),
    "quality.size": (0.0, 0.85),
    "occlusion.occlusion_total": (0.0, 0.02),
    "occlusion.eye": (0.0, 0.0),
    "occlusion.nose": (0.0, 0.0),
    "occlusion.mouth": (0.0, 0.4),
    "occlusion.eyebrow": (0.0, 0.0),
    "occlusion.face_line": (0.0, 0.1),
}


def emit(line: str = "", stream: TextIO | None = None) -> None:
    """One line on stdout (or ``stream``)."""
    (stream or sys.stdout).write(line + "\n")


def note(line: str) -> None:
    """One line on stderr."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def status_text(s: Status) -> str:
    return "ok" if s.ok else f"{s.message} (code {s.code}, internal_code {s.internal_code})"


def _box(face: Face) -> str:
    r = face.rectangle
    return f"{r.width}x{r.height} at left {r.left}, top {r.top}"


def _attrs(a: Attributes) -> str:
    parts: list[str] = []
    if a.age_lower_limit or a.age_up_limit:
        parts.append(f"age {a.age_lower_limit}-{a.age_up_limit}")
    parts += [str(x) for x in (a.gender_code, a.st_age, a.st_expression) if x is not None]
    # accessories only when worn
    worn = {"glass_style": a.glass_style is not None and a.glass_style is not GlassStyle.NONE,
            "respirator_color": a.respirator_color is RespiratorColor.OTHER,
            "mustache_style": a.mustache_style is MustacheStyle.WHISKERS,
            "cap_style": a.cap_style is CapStyle.CAP, "st_helmet_style": a.st_helmet_style is HelmetStyle.HELMET}
    parts += [f"{k} {getattr(a, k)}" for k, on in worn.items() if on]
    return ", ".join(parts)


def face_lines(face: Face, label: str = "face") -> list[str]:
    """A face in two or three indented lines: box, confidence, pose; attributes."""
    head = f"  {label}: {_box(face)}, confidence {face.quality:.3f}"
    if face.angle is not None:
        a = face.angle
        head += f", yaw {a.yaw:+.1f} pitch {a.pitch:+.1f} roll {a.roll:+.1f} deg"
    lines = [head]
    attrs = _attrs(face.attributes)
    if attrs:
        lines.append(f"    {attrs}")
    return lines


def format_comparison(c: Comparison, threshold: float | None) -> list[str]:
    lines = [f"score {c.score:.4f}"]
    if threshold is not None:
        verdict = "same person" if c.score >= threshold else "different people"
        lines[0] += f"  ({verdict} at threshold {threshold:g})"
    lines += face_lines(c.one_face, "one") + face_lines(c.another_face, "another")
    return lines


def _in_range(value: float, lo: float | None, hi: float | None) -> bool:
    return (lo is None or value >= lo - 1e-9) and (hi is None or value <= hi + 1e-9)


def _range_text(lo: float | None, hi: float | None) -> str:
    if hi is None:
        return f">= {lo:g}"
    return f"{lo:g}" if lo == hi else f"{lo:g}..{hi:g}"


def format_quality(q: QualityResult) -> list[str]:
    """Each field with the guide's passport-like reference range, marked ok / out."""
    f = q.face
    values: dict[str, float] = {"angle.yaw": f.angle.yaw, "angle.pitch": f.angle.pitch, "angle.roll": f.angle.roll}
    values.update({f"quality.{k}": v for k, v in f.quality.to_wire().items()})
    values.update({f"occlusion.{k}": v for k, v in f.occlusion.to_wire().items()})
    r = f.rectangle
    lines = [f"face {r.width}x{r.height} at left {r.left}, top {r.top}; "
             f"optimal rotation {q.optimal_rotation_angle} deg",
             f"  {'field':<27} {'value':>9}  {'reference':<11} check"]
    for name, value in values.items():
        lo, hi = QUALITY_RANGES.get(name, (None, None))
        if lo is None and hi is None:
            lines.append(f"  {name:<27} {value:>9.3f}")
            continue
        mark = "ok" if _in_range(value, lo, hi) else "out"
        lines.append(f"  {name:<27} {value:>9.3f}  {_range_text(lo, hi):<11} {mark}")
    return lines


def format_database(d: Database) -> list[str]:
    return [
        f"db_id        {d.db_id}",
        f"name         {printable(d.name)}",
        f"description  {printable(d.description, 2048)}",
        f"size         {d.size} of {d.max_size}",
        f"object_type  {d.object_type}, feature_version {d.feature_version}"
        + (f" ({d.model_version})" if d.model_version else ""),
    ]


def format_feature(f: Feature) -> list[str]:
    return [f"feature_id  {f.feature_id}",
            f"key         {printable(f.key)}",
            f"extra_info  {printable(f.extra_info, 2048)}"]


def format_search(r: SearchResponse, db_ids: list[str], by_key: bool = False) -> list[str]:
    lines: list[str] = []
    if r.face is not None:
        lines.append(f"probe face: {_box(r.face)}")
    for i, db_id in enumerate(db_ids):
        status = r.results[i] if i < len(r.results) else Status(0, "", 0)
        hits = r.batches[i].features if i < len(r.batches) else []
        if not status.ok:
            lines.append(f"db {db_id}: {status_text(status)}")
            continue
        if by_key and i < len(r.batches):
            persons = r.batches[i].persons
            lines.append(f"db {db_id}: {len(persons)} person{'s' if len(persons) != 1 else ''}")
            lines.extend(f"  {rank:>2}. key {p.key or '-'}  best {p.best_score:.4f}  mean {p.mean_score:.4f}  "
                         f"{p.matched} feature{'s' if p.matched != 1 else ''}  best feature_id {p.feature.feature_id}"
                         for rank, p in enumerate(persons, 1))
            continue
        lines.append(f"db {db_id}: {len(hits)} match{'es' if len(hits) != 1 else ''}")
        for rank, h in enumerate(hits, 1):
            extra = f"  extra_info {printable(h.feature.extra_info, 2048)}" if h.feature.extra_info else ""
            lines.append(f"  {rank:>2}. score {h.score:.4f}  key {printable(h.feature.key) or '-'}  "
                         f"feature_id {h.feature.feature_id}{extra}")
    return lines


class Progress:
    """A one-line progress bar on stderr, redrawn in place; silent when disabled."""

    def __init__(self, total: int, enabled: bool, width: int = 30) -> None:
        self.total, self.enabled, self.width = total, enabled and total > 0, width
        self.done = 0

    def update(self, done: int, tail: str = "") -> None:
        self.done = done
        if not self.enabled:
            return
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] {done}/{self.total} {tail}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()
