"""The ``faceprint`` command line: one entry point, sub-commands registered by their modules."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from faceprint.cli import _cmd_admin, _cmd_models, commands

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The whole ``faceprint`` parser; each sub-command's ``func`` runs it and returns the exit status."""
    parser = argparse.ArgumentParser(prog="faceprint", description="Self-hosted face recognition.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    _cmd_models.register(sub)
    _cmd_admin.register(sub)
    commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's), run the sub-command, return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    rc: int = args.func(args)
    return rc


if __name__ == "__main__":
    sys.exit(main())
