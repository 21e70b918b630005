"""``faceprint detect | compare | quality | search | info``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from faceprint.cli._output import (
    emit,
    emit_json,
    face_lines,
    format_comparison,
    format_quality,
    format_search,
    note,
    status_text,
)
from faceprint.cli._runner import EXIT_OK, EXIT_PARTIAL, with_client
from faceprint.client import Client, Face, Status

__all__ = ["register"]

_BATCH = 16


def _existing(paths: list[str]) -> list[Path]:
    out = [Path(p).expanduser() for p in paths]
    for p in out:
        if not p.is_file():
            raise FileNotFoundError(2, "No such file", str(p))
    return out


def _detect(fp: Client, args: argparse.Namespace) -> int:
    files = _existing(args.images)
    rows: list[tuple[Path, Status, list[Face]]] = []
    for start in range(0, len(files), _BATCH):
        chunk = files[start:start + _BATCH]
        answer = fp.detect(chunk)
        for i, path in enumerate(chunk):
            status = answer.results[i] if i < len(answer.results) else Status(13, "no result", 0)
            faces = answer.batches[i].faces if i < len(answer.batches) else []
            rows.append((path, status, faces))
    failed = sum(1 for _, s, _ in rows if not s.ok)
    if args.draw:
        target = Path(args.draw)
        from faceprint.cli._draw import draw_faces

        for path, status, faces in rows:
            if status.ok:
                out = target if len(files) == 1 else target / f"{path.stem}.faces.png"
                draw_faces(path, faces, out)
                note(f"drew {len(faces)} face(s) on {out}")
    if args.json:
        emit_json({"images": [{"path": str(p), "result": {"code": s.code, "message": s.message,
                                                         "internal_code": s.internal_code},
                               "faces": [f.raw for f in faces]} for p, s, faces in rows]})
    else:
        for path, status, faces in rows:
            if not status.ok:
                emit(f"{path}: failed: {status_text(status)}")
                continue
            emit(f"{path}: {len(faces)} face{'s' if len(faces) != 1 else ''}")
            for i, face in enumerate(faces, 1):
                for line in face_lines(face, f"#{i}"):
                    emit(line)
    return EXIT_PARTIAL if failed else EXIT_OK


def _compare(fp: Client, args: argparse.Namespace) -> int:
    a, b = _existing([args.one, args.another])
    c = fp.compare(a, b)
    if args.json:
        emit_json(c.raw)
    else:
        for line in format_comparison(c, args.threshold):
            emit(line)
    return EXIT_OK


def _quality(fp: Client, args: argparse.Namespace) -> int:
    (path,) = _existing([args.image])
    q = fp.quality(path)
    if args.json:
        emit_json(q.raw)
    else:
        for line in format_quality(q):
            emit(line)
    return EXIT_OK


def _db_ids(fp: Client, given: list[str] | None) -> list[str]:
    """``--db`` values (repeatable, comma-separated), or every database of the app when none is given."""
    ids = [x.strip() for v in (given or []) for x in v.split(",") if x.strip()]
    return ids or fp.list_databases().databases


def _search(fp: Client, args: argparse.Namespace) -> int:
    (path,) = _existing([args.image])
    ids = _db_ids(fp, args.db)
    if not ids:
        raise ValueError("the app has no feature database to search: create one with `faceprint db create`")
    r = fp.search(path, ids, top_k=args.top_k, min_score=args.min_score, group_by_key=args.by_key)
    if args.json:
        emit_json(r.raw)
    else:
        for line in format_search(r, ids, by_key=args.by_key):
            emit(line)
    return EXIT_OK


def _info(fp: Client, args: argparse.Namespace) -> int:
    i = fp.info()
    if args.json:
        emit_json(i.raw)
    else:
        rows = {"endpoint": fp.endpoint, "app_id": fp.app_id, **{k: v for k, v in i.raw.items() if k != "recognizers"}}
        width = max(map(len, rows))
        for k, v in rows.items():
            emit(f"{k:<{width}}  {v}")
        for r in i.recognizers:
            at = ", ".join(f"FAR {far:g}: {score:g}" for far, score in r.thresholds.items()) or "not calibrated"
            emit(f"{'recognizer':<{width}}  {r.name} (feature_version {r.feature_version}, {r.dim}-D"
                 f"{', default' if r.default else ''}; {at})")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("detect", parents=[common], help="every face in each photo, with attributes",
                       description="Detect every face in each photo (16 per request).")
    p.add_argument("images", nargs="+", metavar="IMG")
    p.add_argument("--draw", metavar="OUT",
                   help="draw boxes, landmarks and attributes: an image file for one IMG, a folder for several")
    p.set_defaults(func=with_client(_detect))

    p = sub.add_parser("compare", parents=[common], help="similarity (0..1) of the largest face of two photos")
    p.add_argument("one", metavar="A")
    p.add_argument("another", metavar="B")
    p.add_argument("--threshold", type=float, help="also print the verdict at this score (e.g. 0.95)")
    p.set_defaults(func=with_client(_compare))

    p = sub.add_parser("quality", parents=[common], help="quality check of the largest face")
    p.add_argument("image", metavar="IMG")
    p.set_defaults(func=with_client(_quality))

    p = sub.add_parser("search", parents=[common], help="find the most similar stored faces (1:N)")
    p.add_argument("image", metavar="IMG")
    p.add_argument("--db", action="append", metavar="DB_ID",
                   help="database to search (repeatable or comma-separated; default: all of the app's)")
    p.add_argument("--top-k", dest="top_k", type=int, default=5, help="hits per database (default 5)")
    p.add_argument("--min-score", dest="min_score", type=float, default=0.0,
                   help="lowest score returned, 0..1, applied before --top-k (default 0)")
    p.add_argument("--by-key", dest="by_key", action="store_true",
                   help="one answer per key (person): best and mean score, features matched; --top-k counts persons")
    p.set_defaults(func=with_client(_search))

    p = sub.add_parser("info", parents=[common], help="the server's system info")
    p.set_defaults(func=with_client(_info))
