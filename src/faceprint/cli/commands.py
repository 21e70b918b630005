"""The API sub-commands of ``faceprint``: one-line versions of the guide's quickstarts, over the SDK.

``detect``, ``compare``, ``quality``, ``db create|list|show|delete``, ``features add|get|delete|set-extra-info``,
``search``, ``info`` and ``configure``. Credentials come from flags, ``FACEPRINT_*`` variables or the profile
(see :mod:`faceprint.cli._profile`). Human output by default, ``--json`` for scripts.

Exit status:

== ==============================================================================
0  success
1  partial failure: some items of a batch failed (detect, features add)
2  usage: bad flags or missing credentials
3  invalid argument: the server refused an input (code 3), or a local file cannot be read
4  not found: unknown database or feature (code 5)
5  authentication or permission: bad signature / keys (HTTP 401), another app's data (code 7)
6  server error or unavailable: code 13/14/9, no answer, timeout
7  resource exhausted: database full, feature quota spent (code 8)
== ==============================================================================
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faceprint import errors as fe
from faceprint.cli import _profile
from faceprint.cli._output import emit_json, note
from faceprint.client import ApiError, AuthenticationError, Client

__all__ = [
    "EXIT_AUTH",
    "EXIT_EXHAUSTED",
    "EXIT_INVALID",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_SERVER",
    "EXIT_USAGE",
    "exit_code_for",
    "register",
]

log = logging.getLogger("faceprint.cli")

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3
EXIT_NOT_FOUND, EXIT_AUTH, EXIT_SERVER, EXIT_EXHAUSTED = 4, 5, 6, 7

Handler = Callable[[Client, argparse.Namespace], int]


def exit_code_for(exc: BaseException) -> int:
    """The exit status that says what failed (table in the module docstring)."""
    if isinstance(exc, _profile.MissingCredentials):
        return EXIT_USAGE
    if isinstance(exc, AuthenticationError | fe.PermissionDenied):
        return EXIT_AUTH
    if isinstance(exc, fe.InvalidArgument | OSError):
        return EXIT_INVALID
    if isinstance(exc, fe.NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, fe.ResourceExhausted):
        return EXIT_EXHAUSTED
    if isinstance(exc, ValueError):
        return EXIT_USAGE
    return EXIT_SERVER


def _report_error(exc: BaseException, as_json: bool) -> int:
    rc = exit_code_for(exc)
    if isinstance(exc, ApiError):
        text = str(exc)
        detail: dict[str, Any] = {"status": exc.status, "code": exc.code, "internal_code": exc.internal_code,
                                  "message": exc.message, "trace_id": exc.trace_id}
    elif isinstance(exc, fe.FaceprintError):
        text = exc.message
        detail = {"code": exc.code, "internal_code": exc.internal_code, "message": exc.message}
    elif isinstance(exc, OSError) and exc.filename:
        text = f"{exc.strerror or exc}: {exc.filename}"
        detail = {"message": text}
    else:
        text = str(exc)
        detail = {"message": text}
    if as_json:
        emit_json({"error": detail, "exit_status": rc})
    note(f"faceprint: error: {text}")
    return rc


def with_client(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Resolve credentials, open a client, run ``handler``, and turn errors into an exit status."""

    def run(args: argparse.Namespace) -> int:
        if not getattr(args, "verbose", False):  # one INFO line per HTTP request is noise on a terminal
            logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            creds = _profile.resolve(args)
            with creds.client(timeout=args.timeout, retries=args.retries) as client:
                return handler(client, args)
        except (fe.FaceprintError, OSError, ValueError) as exc:
            log.debug("command failed", exc_info=True)
            return _report_error(exc, bool(getattr(args, "json", False)))

    return run


def common_options() -> argparse.ArgumentParser:
    """Credentials, output and transport options shared by every API sub-command."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection (flag > FACEPRINT_* variable > profile)")
    g.add_argument("--endpoint", help="base URL, e.g. http://127.0.0.1:8866/openapi/face/v1 [FACEPRINT_ENDPOINT]")
    g.add_argument("--app-id", dest="app_id", help="app id [FACEPRINT_APP_ID]")
    g.add_argument("--access-key", dest="access_key", help="access key [FACEPRINT_ACCESS_KEY]")
    g.add_argument("--secret-key", dest="secret_key", help="secret key [FACEPRINT_SECRET_KEY]")
    g.add_argument("--profile", help="profile JSON file [FACEPRINT_PROFILE, ~/.config/faceprint/profile.json]")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    g.add_argument("--retries", type=int, default=3,
                   help="retries of idempotent calls on 429/503/network errors (default 3)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON (for scripts)")
    return p


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
    """Add the API sub-commands to the ``faceprint`` parser."""
    from faceprint.cli import _cmd_db, _cmd_images

    common = common_options()
    _cmd_images.register(sub, common)
    _cmd_db.register(sub, common)
    p = sub.add_parser("configure", help="write the credentials profile (mode 0600)",
                       description=_configure.__doc__)
    for flag in ("--endpoint", "--app-id", "--access-key", "--secret-key"):
        p.add_argument(flag, dest=flag[2:].replace("-", "_"))
    p.add_argument("--from", dest="source", metavar="FILE",
                   help="take the values of a credentials file, e.g. var/credentials.json of `faceprint serve`")
    p.add_argument("--profile", help="profile file (default ~/.config/faceprint/profile.json)")
    p.set_defaults(func=_configure)
