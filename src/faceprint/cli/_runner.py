"""How an API sub-command runs: credentials, a client, and errors turned into the exit status.

Shared by the command modules (:mod:`faceprint.cli._cmd_images`, :mod:`faceprint.cli._cmd_db`, ...), which
import it and nothing of :mod:`faceprint.cli.commands`, so that the wiring imports the commands and never the
other way round. The exit statuses are documented in :mod:`faceprint.cli.commands`.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
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
    "Handler",
    "common_options",
    "exit_code_for",
    "with_client",
]

log = logging.getLogger("faceprint.cli")

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3
EXIT_NOT_FOUND, EXIT_AUTH, EXIT_SERVER, EXIT_EXHAUSTED = 4, 5, 6, 7

#: An API sub-command: the open client and the parsed arguments -> the exit status.
Handler = Callable[[Client, argparse.Namespace], int]


def exit_code_for(exc: BaseException) -> int:
    """The exit status that says what failed (table in :mod:`faceprint.cli.commands`)."""
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
