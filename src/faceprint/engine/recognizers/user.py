"""A user's own recogniser packs: added from a local file plus a manifest entry, verified, calibrated.

Nothing is downloaded: the user brings the ONNX file (e.g. an ArcFace model they hold a licence for) and an
entry that describes it (:func:`~faceprint.engine.recognizers.packs.spec_from_dict`). :func:`add_pack` checks
the entry, the file's sha256 (when the entry gives one; otherwise it pins the file's own), that the name
and feature_version are free, and that the file runs and answers ``dim`` values for a chip of the stated
size; only then is the file copied into the model cache and the entry written to ``user-packs.json``.
A refused pack leaves the cache as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from faceprint.engine.models import sha256_file
from faceprint.engine.recognizers.packs import (
    PackSpec,
    ScoreMap,
    check_unique,
    load_packs,
    read_user_packs,
    spec_from_dict,
    spec_to_dict,
    write_user_packs,
)
from faceprint.errors import ModelMissing

__all__ = ["add_pack", "remove_pack", "set_calibration"]


def _probe(spec: PackSpec, path: Path) -> None:
    """Runs the model on one grey chip; ModelMissing naming the file when it does not answer as its pack says."""
    from faceprint.engine.recognizers import open_recognizer

    try:
        rec = open_recognizer(spec, path.parent, threads=1)
        out = rec.embed(np.full((1, spec.input_size, spec.input_size, 3), 128, np.uint8))
    except ModelMissing:
        raise
    except Exception as exc:  # onnxruntime's own errors: a graph that does not take the pack's input
        side = spec.input_size
        raise ModelMissing(f"Model file {path} does not run on a {side}x{side} chip: {exc}") from exc
    if out.shape != (1, spec.dim) or not np.all(np.isfinite(out)):
        raise ModelMissing(f"Model file {path} answers {out.shape[1:]} values, its entry says {spec.dim}.")


def add_pack(model_dir: Path, source: Path, entry: Mapping[str, Any]) -> PackSpec:
    """Adds the recogniser in ``source`` described by ``entry`` to the model cache ``model_dir``.

    The entry's ``file`` defaults to the source's name; ``sha256``, when given, must match the file.
    Raises ModelMissing (naming the file or the field) when anything is wrong; nothing is changed then."""
    source = Path(source)
    model_dir = Path(model_dir)
    if not source.is_file():
        raise ModelMissing(f"Recogniser file {source} does not exist.")
    digest = sha256_file(source)
    raw = dict(entry)
    raw.setdefault("file", source.name)
    if raw.get("sha256") and str(raw["sha256"]).lower() != digest:
        raise ModelMissing(f"Checksum mismatch for {source}: got {digest}, the entry says {raw['sha256']}.")
    raw["sha256"] = digest
    raw["size"] = source.stat().st_size
    if "/" in str(raw["file"]) or "\\" in str(raw["file"]) or str(raw["file"]).startswith("."):
        raise ModelMissing(f"The entry's file name {raw['file']!r} must be a plain file name.")
    try:
        spec = spec_from_dict(raw, shipped=False)
    except ValueError as exc:
        raise ModelMissing(f"The entry for {source} is not valid: {exc}") from exc
    packs = load_packs(model_dir)
    check_unique(spec, packs.values())
    target = model_dir / spec.file
    if target.exists() and sha256_file(target) != digest:
        raise ModelMissing(f"{target} exists already with other content; choose another file name.")
    model_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir = model_dir / f".{spec.name}.add"
    tmp_dir.mkdir(exist_ok=True)
    try:
        staged = tmp_dir / spec.file
        shutil.copyfile(source, staged)
        _probe(spec, staged)
        staged.replace(target)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    write_user_packs(model_dir, [*read_user_packs(model_dir), spec_to_dict(spec)])
    return spec


def set_calibration(model_dir: Path, name: str, score_map: ScoreMap) -> PackSpec:
    """Records ``score_map`` as the user pack ``name``'s new current calibration (its version must be new:
    databases made with the older ones keep them)."""
    entries = read_user_packs(model_dir)
    for i, e in enumerate(entries):
        if e.get("name") != name:
            continue
        spec = spec_from_dict(e, shipped=False)
        if score_map.version in spec.score_maps:
            raise ModelMissing(f"Pack {name!r} has a calibration {score_map.version} already.")
        e = dict(e)
        e["calibrations"] = [*e.get("calibrations", []), score_map.to_json()]
        e["calibration"] = score_map.version
        entries[i] = e
        write_user_packs(model_dir, entries)
        return spec_from_dict(e, shipped=False)
    raise ModelMissing(f"No user recogniser pack named {name!r} (shipped packs are calibrated in the manifest).")


def remove_pack(model_dir: Path, name: str) -> None:
    """Forgets the user pack ``name`` and deletes its file. Databases made with it stop working (searches
    and adds answer ModelVersionMismatch) until it is added again."""
    entries = read_user_packs(model_dir)
    keep = [e for e in entries if e.get("name") != name]
    if len(keep) == len(entries):
        raise ModelMissing(f"No user recogniser pack named {name!r}.")
    gone = next(e for e in entries if e.get("name") == name)
    write_user_packs(model_dir, keep)
    if not any(e.get("file") == gone.get("file") for e in keep):
        (Path(model_dir) / str(gone["file"])).unlink(missing_ok=True)
