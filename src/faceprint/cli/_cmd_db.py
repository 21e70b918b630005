"""``faceprint db create|list|show|delete`` and ``faceprint features add|get|delete|set-extra-info``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from faceprint.cli._batch_add import Journal, Outcome, add_files, expand_paths, journal_path
from faceprint.cli._output import Progress, emit, emit_json, format_database, format_feature, note
from faceprint.cli._runner import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, with_client
from faceprint.client import ApiError, Client

__all__ = ["register"]


def _db_create(fp: Client, args: argparse.Namespace) -> int:
    d = fp.create_database(args.name, args.max_size, args.description, args.feature_version)
    if args.json:
        emit_json(d.raw)
    else:
        for line in format_database(d):
            emit(line)
    return EXIT_OK


def _db_list(fp: Client, args: argparse.Namespace) -> int:
    listing = fp.list_databases()
    if args.json:
        emit_json(listing.raw)
        return EXIT_OK
    if not listing.databases:
        note("no databases")
    for db_id in listing.databases:
        try:
            d = fp.get_database(db_id)
        except ApiError:  # deleted meanwhile
            emit(db_id)
            continue
        emit(f"{d.db_id}  {d.size:>6}/{d.max_size:<6}  {d.name}")
    return EXIT_OK


def _db_show(fp: Client, args: argparse.Namespace) -> int:
    d = fp.get_database(args.db_id)
    if args.json:
        emit_json(d.raw)
    else:
        for line in format_database(d):
            emit(line)
    return EXIT_OK


def _confirmed(what: str, yes: bool) -> bool:
    if yes or not sys.stdin.isatty():
        return True
    sys.stderr.write(f"{what}? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _db_delete(fp: Client, args: argparse.Namespace) -> int:
    if not _confirmed(f"delete database {args.db_id} and every feature in it", args.yes):
        note("not deleted")
        return EXIT_USAGE
    ack = fp.delete_database(args.db_id)
    journal_path(args.db_id).unlink(missing_ok=True)
    if args.json:
        emit_json(ack.raw)
    else:
        emit(f"deleted database {args.db_id}")
    return EXIT_OK


def _print_outcome(o: Outcome, progress: Progress) -> None:
    if progress.enabled:
        sys.stderr.write("\r\033[K")
    if o.outcome == "added":
        emit(f"added    {o.path}  key={o.key or '-'}  feature_id={o.feature_id}")
    elif o.outcome == "skipped":
        emit(f"skipped  {o.path}  {o.message}" + (f" (feature_id {o.feature_id})" if o.feature_id else ""))
    else:
        emit(f"failed   {o.path}  {o.message} (code {o.code}, internal_code {o.internal_code})")
    sys.stdout.flush()


def _features_add(fp: Client, args: argparse.Namespace) -> int:
    files = expand_paths(args.paths, args.recursive)
    if not files:
        raise FileNotFoundError(2, "No image files", " ".join(args.paths))
    journal = Journal(None if args.no_journal else Path(args.journal) if args.journal else journal_path(args.db_id))
    fp.get_database(args.db_id)  # fail fast (exit 4) on an unknown database
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = Progress(len(files), show and not args.json)
    counts = {"added": 0, "skipped": 0, "failed": 0}

    def on_outcome(o: Outcome) -> None:
        counts[o.outcome] += 1
        if not args.json:
            _print_outcome(o, progress)
        progress.update(sum(counts.values()),
                        f"added {counts['added']} skipped {counts['skipped']} failed {counts['failed']}")

    try:
        outcomes = add_files(fp, args.db_id, files, journal, key_mode=args.key_from, key=args.key or "",
                             extra_info=args.extra_info or "", extra_mode=args.extra_info_from,
                             force=args.force, batch_size=args.batch_size, on_outcome=on_outcome)
    finally:
        progress.close()
    if args.json:
        emit_json({"db_id": args.db_id, **counts, "journal": str(journal.path or ""),
                   "files": [o.to_json() for o in outcomes]})
    else:
        note(f"{counts['added']} added, {counts['skipped']} skipped, {counts['failed']} failed"
             + (f"; journal {journal.path}" if journal.path else ""))
    return EXIT_PARTIAL if counts["failed"] else EXIT_OK


def _features_get(fp: Client, args: argparse.Namespace) -> int:
    f = fp.get_feature(args.db_id, args.feature_id)
    if args.json:
        emit_json(f.raw)
    else:
        for line in format_feature(f.feature):
            emit(line)
    return EXIT_OK


def _features_delete(fp: Client, args: argparse.Namespace) -> int:
    ack = fp.delete_feature(args.db_id, args.feature_id)
    Journal(journal_path(args.db_id)).forget(args.feature_id)
    if args.json:
        emit_json(ack.raw)
    else:
        emit(f"deleted feature {args.feature_id}")
    return EXIT_OK


def _features_set_extra_info(fp: Client, args: argparse.Namespace) -> int:
    value = sys.stdin.read().rstrip("\n") if args.extra_info == "-" else args.extra_info
    f = fp.update_extra_info(args.db_id, args.feature_id, value)
    if args.json:
        emit_json(f.raw)
    else:
        for line in format_feature(f.feature):
            emit(line)
    return EXIT_OK


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    db = sub.add_parser("db", help="feature databases: create, list, show, delete").add_subparsers(
        dest="db_command", required=True, metavar="{create,list,show,delete}")
    p = db.add_parser("create", parents=[common], help="create a feature database")
    p.add_argument("name")
    p.add_argument("--max-size", dest="max_size", type=int, default=1000,
                   help="most features it may hold, fixed for its lifetime (default 1000)")
    p.add_argument("--description", default="")
    p.add_argument("--feature-version", dest="feature_version", type=int, default=None,
                   help="its recogniser pack (Faceprint extension; `faceprint models list`): 1 dlib, 2 SFace; "
                   "default: the server's")
    p.set_defaults(func=with_client(_db_create))
    p = db.add_parser("list", parents=[common], help="the app's databases")
    p.set_defaults(func=with_client(_db_list))
    p = db.add_parser("show", parents=[common], help="one database's name, size and max_size")
    p.add_argument("db_id")
    p.set_defaults(func=with_client(_db_show))
    p = db.add_parser("delete", parents=[common], help="delete a database and all its features")
    p.add_argument("db_id")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask (never asked when stdin is not a tty)")
    p.set_defaults(func=with_client(_db_delete))

    feats = sub.add_parser("features", help="features: add photos, get, delete, set extra_info").add_subparsers(
        dest="features_command", required=True, metavar="{add,get,delete,set-extra-info}")
    p = feats.add_parser("add", parents=[common], help="add photos or folders of photos (resumable)",
                         description="Add the largest face of each photo, 16 per request. A journal of what "
                         "was added makes a second run skip those files (by content).")
    p.add_argument("db_id")
    p.add_argument("paths", nargs="+", metavar="PATH", help="photo files and/or folders of photos")
    p.add_argument("-r", "--recursive", action="store_true", help="also look in sub-folders")
    p.add_argument("--key", help="the same key for every photo")
    p.add_argument("--key-from", dest="key_from", choices=("none", "filename", "parent"), default="none",
                   help="derive each key from the file name (stem) or its folder's name")
    p.add_argument("--extra-info", dest="extra_info", help="the same extra_info for every photo")
    p.add_argument("--extra-info-from", dest="extra_info_from", choices=("none", "filename"), default="none",
                   help="store each file's name as its extra_info")
    p.add_argument("--journal", help="journal file (default ~/.local/state/faceprint/journal/<db_id>.jsonl)")
    p.add_argument("--no-journal", dest="no_journal", action="store_true", help="neither read nor write one")
    p.add_argument("--force", action="store_true", help="add even the files the journal lists")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=16, choices=range(1, 17),
                   metavar="1-16", help="photos per request (default 16)")
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=with_client(_features_add))
    p = feats.add_parser("get", parents=[common], help="a feature's key and extra_info")
    p.add_argument("db_id")
    p.add_argument("feature_id")
    p.set_defaults(func=with_client(_features_get))
    p = feats.add_parser("delete", parents=[common], help="delete a feature")
    p.add_argument("db_id")
    p.add_argument("feature_id")
    p.set_defaults(func=with_client(_features_delete))
    p = feats.add_parser("set-extra-info", parents=[common], help="replace a feature's extra_info")
    p.add_argument("db_id")
    p.add_argument("feature_id")
    p.add_argument("extra_info", metavar="TEXT", help="at most 1024 characters; '-' reads stdin")
    p.set_defaults(func=with_client(_features_set_extra_info))
