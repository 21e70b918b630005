"""The API sub-commands of ``faceprint``: one-line versions of the guide's quickstarts, over the SDK.

``detect``, ``compare``, ``quality``, ``db create|list|show|delete``, ``features add|get|delete|set-extra-info``,
``search``, ``info`` and ``configure``; Faceprint's person-level extensions ``cluster``, ``duplicates``,
``verify`` and ``job get|delete``. Credentials come from flags, ``FACEPRINT_*`` variables or the profile
(see :mod:`faceprint.cli._profile`). Human output by default, ``--json`` for scripts.

This module only wires them: the commands live in ``_cmd_images``, ``_cmd_db`` and ``_cmd_configure``, what
they share (client, error reporting, the exit statuses below) in :mod:`faceprint.cli._runner`.

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
from typing import Any

from faceprint.cli import _cmd_configure, _cmd_db, _cmd_images, _cmd_people
from faceprint.cli._runner import (
    EXIT_AUTH,
    EXIT_EXHAUSTED,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SERVER,
    EXIT_USAGE,
    common_options,
    exit_code_for,
)

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


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the API sub-commands to the ``faceprint`` parser."""
    common = common_options()
    _cmd_images.register(sub, common)
    _cmd_db.register(sub, common)
    _cmd_people.register(sub, common)
    _cmd_configure.register(sub)
