"""The HTTP API: ``create_app(settings, engine=None, store=None)`` serves the Mercury Cloud face OpenAPI."""

from __future__ import annotations

from faceprint.api.app import create_app

__all__ = ["create_app"]
