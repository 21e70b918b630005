"""The served OpenAPI document, finished so that it states every limit the server enforces and nothing it
does not: the security scheme, no 422 (validation failures are 400 with their own internal_code), images
per request from the settings, and the statuses every API operation can answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from faceprint.settings import Settings

__all__ = ["AUTH_DOC", "install_openapi"]

AUTH_DOC = (
    "Kong hmac-auth, as Mercury Cloud: send `x-date: <RFC 7231 GMT date>` and `Authorization: hmac "
    'username="<access key>", algorithm="hmac-sha256", headers="x-date request-line", signature="<base64>"` '
    "where the signature is base64(HMAC-SHA256(secret key, \"x-date: <date>\\n<METHOD> <path?query> "
    'HTTP/1.1")). The date must be within the clock skew (300 s by default).'
)

#: Bodies whose ``images`` array the ``max_images`` setting bounds.
_IMAGE_BODIES = ("DetectRequest", "BatchAddRequest")


def finish(schema: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``schema`` (FastAPI's document) made true to the server; changed in place and returned."""
    components = schema.setdefault("components", {})
    components["securitySchemes"] = {
        "hmac": {"type": "apiKey", "in": "header", "name": "Authorization", "description": AUTH_DOC}
    }
    schemas = components.get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for name in _IMAGE_BODIES:
        images = schemas.get(name, {}).get("properties", {}).get("images")
        if images is not None:
            images["maxItems"] = settings.max_images
            images["description"] = f"1 to {settings.max_images} images."
    for path, ops in schema.get("paths", {}).items():
        for op in ops.values():
            op.get("responses", {}).pop("422", None)
            if path.startswith("/openapi/"):
                op["security"] = [{"hmac": []}]
    schema["servers"] = [{"url": "/", "description": "this server"}]
    return schema


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """``app.openapi()`` answers the finished document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        app.openapi_schema = finish(schema, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
