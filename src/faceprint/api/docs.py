"""``/docs``: Swagger UI over the served OpenAPI document, from local assets when available.

With the ``swagger-ui-bundle`` package installed the page loads no file from outside this server (an
offline install works); without it, FastAPI's default CDN assets are used.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

__all__ = ["install_docs"]

log = logging.getLogger("faceprint.api")

_ASSETS = "/docs-assets"


def _local_assets() -> Path | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    path = Path(str(swagger_ui_bundle.swagger_ui_path))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (the app must be created with ``docs_url=None``)."""
    assets = _local_assets()
    title = f"{app.title} - docs"
    if assets is None:
        log.info("swagger-ui-bundle not installed: /docs loads Swagger UI from its CDN")

        @app.get("/docs", include_in_schema=False)
        async def docs_cdn() -> HTMLResponse:
            return get_swagger_ui_html(openapi_url="/openapi.json", title=title)

        return
    app.mount(_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=title, swagger_js_url=f"{_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS}/swagger-ui.css", swagger_favicon_url=f"{_ASSETS}/favicon-32x32.png",
        )
