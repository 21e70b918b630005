"""``faceprint cluster | duplicates | verify | job get|delete``: Faceprint's person-level extensions.

``cluster`` and ``duplicates`` start a job and poll it, with a progress bar on stderr (by default when stderr
is a terminal); ``--no-wait`` prints the job id and returns at once, ``faceprint job get JOB_ID --wait``
fetches the answer later. ``--json`` prints the server's answer as it came.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from faceprint.cli._cmd_images import _existing
from faceprint.cli._output import Progress, emit, emit_json, note
from faceprint.cli._runner import EXIT_OK, with_client
from faceprint.client import Client, ClusterResult, DuplicatesResult, Job

__all__ = ["register"]

#: Members listed per cluster in the human output (all of them with --json).
_SHOWN = 8


def _bar(args: argparse.Namespace) -> Progress:
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    return Progress(1000, show and not args.json)


def _follow(fp: Client, job: Job, args: argparse.Namespace) -> Job:
    bar = _bar(args)
    try:
        return fp.wait_job(job, lambda j: bar.update(round(1000 * j.progress), f"{j.kind} {j.status}"), poll_s=2.0)
    finally:
        bar.close()


def _cluster_lines(out: ClusterResult) -> list[str]:
    lines = [f"{out.features} features, {len(out.clusters)} people (clusters of 2 or more), {len(out.alone)} "
             f"alone; threshold {out.threshold:g}; {out.seconds:.2f} s"]
    for n, c in enumerate(out.clusters, 1):
        keys = ", ".join(f"{k or '-'} x{v}" for k, v in list(c.keys.items())[:4]) + (" ..." if len(c.keys) > 4 else "")
        lines.append(f"{n:>4}. {c.size} features, cohesion {c.cohesion:.4f}, keys: {keys}")
        lines.extend(f"        {m.feature_id}  {m.key or '-'}" for m in c.features[:_SHOWN])
        if c.size > _SHOWN:
            lines.append(f"        ... {c.size - _SHOWN} more")
    if out.alone:
        lines.append(f"alone: {len(out.alone)} features")
    return lines


def _duplicate_lines(out: DuplicatesResult) -> list[str]:
    lines = [f"{out.found} pairs among {out.features} features (same photo from {out.same_photo_score:g}, same "
             f"person under two keys from {out.threshold:g}); {out.seconds:.2f} s"]
    for p in out.pairs:
        lines.append(f"  {p.kind:<11}  score {p.score:.4f}  {p.a.key or '-'} {p.a.feature_id}  "
                     f"{p.b.key or '-'} {p.b.feature_id}")
    return lines


def _show_job(job: Job, args: argparse.Namespace) -> int:
    if args.json:
        emit_json(job.raw)
        return EXIT_OK
    out = job.outcome()  # raises a failed job's error
    if isinstance(out, ClusterResult):
        lines = _cluster_lines(out)
    elif isinstance(out, DuplicatesResult):
        lines = _duplicate_lines(out)
    else:
        lines = [f"job {job.job_id}: {job.kind} of {job.db_id}, {job.status}, {100 * job.progress:.0f} %"]
    for line in lines:
        emit(line)
    return EXIT_OK


def _cluster(fp: Client, args: argparse.Namespace) -> int:
    job = fp.start_cluster(args.db_id, threshold=args.threshold, wait_s=0 if args.no_wait else 2.0)
    if args.no_wait:
        note(f"started job {job.job_id}: `faceprint job get {job.job_id} --wait`")
        return _show_job(job, args)
    return _show_job(_follow(fp, job, args), args)


def _duplicates(fp: Client, args: argparse.Namespace) -> int:
    job = fp.start_duplicates(args.db_id, threshold=args.threshold, same_photo_score=args.same_photo_score,
                              limit=args.limit, wait_s=0 if args.no_wait else 2.0)
    if args.no_wait:
        note(f"started job {job.job_id}: `faceprint job get {job.job_id} --wait`")
        return _show_job(job, args)
    return _show_job(_follow(fp, job, args), args)


def _job_get(fp: Client, args: argparse.Namespace) -> int:
    job = fp.get_job(args.job_id)
    return _show_job(_follow(fp, job, args) if args.wait else job, args)


def _job_delete(fp: Client, args: argparse.Namespace) -> int:
    job = fp.delete_job(args.job_id)
    if args.json:
        emit_json(job.raw)
    else:
        emit(f"deleted job {job.job_id} ({job.status})")
    return EXIT_OK


def _verify(fp: Client, args: argparse.Namespace) -> int:
    (path,) = _existing([args.image])
    v = fp.verify(path, args.db, args.key, threshold=args.threshold)
    if args.json:
        emit_json(v.raw)
        return EXIT_OK
    verdict = "same person" if v.same_person else "not the same person"
    emit(f"{verdict}: score {v.score:.4f} (threshold {v.threshold:g}), best {v.best_score:.4f}, "
         f"{v.matched}/{v.features} features of key {v.key} at the threshold")
    return EXIT_OK


def _progress_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--no-wait", action="store_true", help="print the job and return at once")


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    threshold = "score at which two faces are one person (default: 0.955, the recogniser's documented one)"
    p = sub.add_parser("cluster", parents=[common], help="group a database's features into people",
                       description="Cluster a database's features into people (a server job, polled).")
    p.add_argument("db_id", metavar="DB_ID")
    p.add_argument("--threshold", type=float, help=threshold)
    _progress_flags(p)
    p.set_defaults(func=with_client(_cluster))

    p = sub.add_parser("duplicates", parents=[common], help="photos enrolled twice, people under two keys")
    p.add_argument("db_id", metavar="DB_ID")
    p.add_argument("--threshold", type=float, help=threshold)
    p.add_argument("--same-photo-score", dest="same_photo_score", type=float,
                   help="score from which two features are one photo enrolled twice (default 0.995)")
    p.add_argument("--limit", type=int, default=1000, help="most pairs listed (default 1000)")
    _progress_flags(p)
    p.set_defaults(func=with_client(_duplicates))

    p = sub.add_parser("verify", parents=[common], help="a photo against every feature of a key")
    p.add_argument("image", metavar="IMG")
    p.add_argument("--db", required=True, metavar="DB_ID")
    p.add_argument("--key", required=True)
    p.add_argument("--threshold", type=float, help=threshold)
    p.set_defaults(func=with_client(_verify))

    job = sub.add_parser("job", help="a background job (cluster, duplicates)")
    jsub = job.add_subparsers(dest="job_command", required=True, metavar="COMMAND")
    p = jsub.add_parser("get", parents=[common], help="a job's state or answer")
    p.add_argument("job_id", metavar="JOB_ID")
    p.add_argument("--wait", action="store_true", help="poll until the job ends")
    p.add_argument("--progress", dest="progress", action="store_true", default=None)
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=with_client(_job_get))
    p = jsub.add_parser("delete", parents=[common], help="cancel and forget a job")
    p.add_argument("job_id", metavar="JOB_ID")
    p.set_defaults(func=with_client(_job_delete))
