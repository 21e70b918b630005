"""``/console``: the web console, a few static files served by the service itself (no build step).

The console is plain HTML, CSS and JavaScript in ``api/static/console``; it signs every API call in the
browser with WebCrypto (Kong hmac-auth, as any Mercury client), so this router serves files only and knows
no credential. Every answer carries a strict Content-Security-Policy (scripts, styles and connections from
this origin only, no inline script, no framing); the page itself is never cached, so a new version of the
service is seen at the next load. See docs/console.md.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from faceprint import errors as fpe

__all__ = ["CONSOLE_PATH", "SECURITY_HEADERS", "router"]

CONSOLE_PATH = "/console"

#: Sent with every console file.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


def _files() -> dict[str, bytes]:
    """The console's files by name, read once from the package (a flat folder: no path ever reaches the
    file system, so no traversal is possible)."""
    folder = resources.files("faceprint.api").joinpath("static", "console")
    return {f.name: f.read_bytes() for f in folder.iterdir()
            if f.is_file() and f.name.endswith(tuple(_TYPES))}


_FILES = _files()


def _serve(name: str, cache: str) -> Response:
    body = _FILES.get(name)
    if body is None:
        raise fpe.RouteNotFound()
    media = _TYPES[name[name.rfind("."):]]
    return Response(body, media_type=media, headers={**SECURITY_HEADERS, "Cache-Control": cache})


@router.get(CONSOLE_PATH)
async def console_root() -> Response:
    return RedirectResponse(f"{CONSOLE_PATH}/", status_code=308, headers=SECURITY_HEADERS)


@router.get(f"{CONSOLE_PATH}/")
async def console_index() -> Response:
    return _serve("index.html", "no-store")


@router.get(CONSOLE_PATH + "/{name}")
async def console_asset(name: str) -> Response:
    # assets may be cached briefly but are revalidated: the index is never cached, the files are small
    return _serve(name, "no-cache")
