"""Issue 14, finding 3: what a client sends (path, query, method) cannot write a line of its own into the
access log; control characters are escaped, one request is one line."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from faceprint.logsafe import printable

FAKE = "/openapi/face/v1/x%0a127.0.0.1 GET /admin 200 1.0ms app=root trace_id=0%00%1b[2J"


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [rec.getMessage() for rec in caplog.records if rec.name == "faceprint.access"]


def test_encoded_newline_in_an_unsigned_path_stays_on_one_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="faceprint.access"):
        r = client.get(FAKE + "?q=%0d%0aGET%20/x")
    assert r.status_code == 401
    lines = _access_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert "\n" not in line and "\r" not in line and "\x00" not in line and "\x1b" not in line
    assert " 401 " in line


def test_raw_control_bytes_reaching_the_app_are_escaped(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that passes raw bytes through (not h11, which refuses them) still cannot split the line: the
    ASGI app is called directly with a request target holding a newline, NUL, ESC and U+2028."""
    import asyncio

    app = client.app
    raw = b"/openapi/face/v1/x\n1.2.3.4 GET /admin 200\x00\x1b[31m"
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": raw.decode("latin-1") + "\u2028", "raw_path": raw, "query_string": b"a=\r\n",
        "headers": [], "client": ("127.0.0.1", 1), "server": ("t", 80), "root_path": "",
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO, logger="faceprint.access"):
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 401
    (line,) = _access_lines(caplog)
    assert "\\n1.2.3.4 GET /admin 200\\x00\\x1b[31m?a=\\r\\n" in line
    assert all(c.isprintable() for c in line)


def test_printable_escapes_every_control_and_keeps_ordinary_text() -> None:
    assert printable("Ana María 李") == "Ana María 李"
    assert printable("a\nb\rc\td\x00e\x7f\x1b\u2028\u202e\\") == "a\\nb\\rc\\td\\x00e\\x7f\\x1b\\u2028\\u202e\\\\"
    assert printable("x" * 600, 10) == "x" * 10 + "..."
    assert printable(42) == "42"
