"""``faceprint configure``: write the credentials profile the API sub-commands read."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from faceprint.cli import _profile
from faceprint.cli._output import note
from faceprint.cli._runner import EXIT_INVALID, EXIT_OK, EXIT_USAGE

__all__ = ["register"]


def _configure(args: argparse.Namespace) -> int:
    """Write the profile (mode 0600), merging flags and FACEPRINT_* variables into what it holds."""
    path = _profile.profile_path(args.profile, for_reading=False)
    try:
        values = _profile.read_profile(path)
        if args.source:
            if not Path(args.source).is_file():
                raise ValueError(f"no such credentials file: {args.source}")
            values.update(_profile.read_profile(Path(args.source)))
    except ValueError as e:
        note(f"faceprint: error: {e}")
        return EXIT_INVALID
    for f in _profile.FIELDS:
        v = getattr(args, f, None) or os.environ.get(_profile.ENV[f])
        if v:
            values[f] = v
    if "secret_key" not in values and sys.stdin.isatty():
        import getpass

        values["secret_key"] = getpass.getpass("secret key: ")
    missing = [f for f in _profile.FIELDS if not values.get(f)]
    if missing:
        note(f"faceprint: error: missing {', '.join('--' + m.replace('_', '-') for m in missing)}")
        return EXIT_USAGE
    _profile.write_profile(path, values)
    note(f"profile written to {path} (mode 0600)")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``configure`` to the ``faceprint`` parser."""
    p = sub.add_parser("configure", help="write the credentials profile (mode 0600)",
                       description=_configure.__doc__)
    for flag in ("--endpoint", "--app-id", "--access-key", "--secret-key"):
        p.add_argument(flag, dest=flag[2:].replace("-", "_"))
    p.add_argument("--from", dest="source", metavar="FILE",
                   help="take the values of a credentials file, e.g. var/credentials.json of `faceprint serve`")
    p.add_argument("--profile", help="profile file (default ~/.config/faceprint/profile.json)")
    p.set_defaults(func=_configure)
