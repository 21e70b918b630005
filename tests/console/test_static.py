"""The console's files as the service serves them: strict headers, nothing from elsewhere, no inline script.

No browser needed: the real app in process (without models), over HTTP with TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceprint.api import create_app
from faceprint.api.console import SECURITY_HEADERS
from tests.client._apps import make_settings, open_test_store

STATIC = Path(str(resources.files("faceprint.api").joinpath("static", "console")))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path)
    store = open_test_store(settings)
    with TestClient(create_app(settings, engine=None, store=store)) as c:
        yield c
    store.close()


def test_index_has_strict_headers_and_is_never_cached(client: TestClient) -> None:
    r = client.get("/console/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "<title>Faceprint console</title>" in r.text


def test_bare_path_redirects_and_assets_are_served_with_their_types(client: TestClient) -> None:
    r = client.get("/console", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (308, "/console/")
    for name, media in (("main.js", "text/javascript"), ("console.css", "text/css"), ("sign.js", "text/javascript")):
        a = client.get(f"/console/{name}")
        assert a.status_code == 200 and a.headers["content-type"].startswith(media)
        assert a.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
        assert a.headers["cache-control"] == "no-cache"


def test_unknown_files_and_traversal_answer_the_api_not_found(client: TestClient) -> None:
    for path in ("/console/nope.js", "/console/..%2Fapp.py", "/console/../api/app.py", "/console/%2e%2e/errors.py"):
        r = client.get(path)
        assert r.status_code == 404, path
        body = r.json()
        assert body["internal_code"] == 2005 and len(body["trace_id"]) == 32


def test_no_inline_script_and_nothing_from_the_internet() -> None:
    """The CSP would block both; the files must not even try (each script is a file of this folder)."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        assert 'src="' in m.group(1) and not m.group(2).strip(), "inline script in index.html"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler in index.html"
    for f in STATIC.iterdir():
        text = f.read_text(encoding="utf-8")
        urls = re.findall(r"https?://[^\s\"')]+", text)
        assert all(u.startswith("http://www.w3.org/2000/svg") for u in urls), (f.name, urls)


def test_every_console_file_ships_in_the_package_data() -> None:
    """pyproject's package-data must carry the folder (a wheel without it serves a blank console)."""
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"api/static/console/*"' in pyproject
    assert {p.name for p in STATIC.iterdir()} >= {"index.html", "main.js", "sign.js", "api.js", "console.css"}
