"""The retry policy: idempotent calls retried on 429/503 and network failures, writes never re-sent.

A scripted transport plays the server's side (the real app never answers 503 on demand); each test
counts the requests that reached it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from faceprint import errors as fe
from faceprint.client import ApiError, Client, TransportError
from faceprint.signing import build_signing_string, parse_authorization, signature_matches

OK_LIST = {"trace_id": "0" * 32, "databases": ["a"]}
BUSY = {"trace_id": "1" * 32, "code": 14, "message": "busy", "internal_code": 5101}


def scripted(answers: list[Callable[[httpx.Request], httpx.Response]]) -> tuple[Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    c = Client("http://h/openapi/face/v1", "app", "ak", "sk", transport=httpx.MockTransport(handle),
               retries=3, backoff=0.001)
    return c, seen


def busy(status: int = 503, body: dict[str, object] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(status, json=body or BUSY)


def ok(body: dict[str, object]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda r: httpx.Response(200, json=body)


def test_idempotent_get_is_retried_until_it_succeeds() -> None:
    c, seen = scripted([busy(), busy(429, {"code": 8, "message": "slow down"}), ok(OK_LIST)])
    assert c.list_databases().databases == ["a"]
    assert len(seen) == 3
    # each attempt is signed afresh, over the path as sent
    for r in seen:
        auth = parse_authorization(r.headers["authorization"])
        assert auth is not None
        s = build_signing_string(auth.headers, dict(r.headers), r.method, r.url.raw_path.decode())
        assert signature_matches("sk", s, auth.algorithm, auth.signature)


def test_gives_up_after_the_retries_with_the_typed_error() -> None:
    c, seen = scripted([busy()])
    with pytest.raises(fe.Overloaded) as info:
        c.get_database("x")
    assert len(seen) == 4 and info.value.status == 503 and isinstance(info.value, ApiError)


def test_writes_are_not_retried() -> None:
    c, seen = scripted([busy(), ok({"db_id": "d"})])
    with pytest.raises(fe.Unavailable):
        c.create_database("x", 10)
    assert len(seen) == 1
    c, seen = scripted([busy()])
    with pytest.raises(fe.Unavailable):
        c.add_features("d", [b"\xff\xd8not-really-a-jpeg"])
    assert len(seen) == 1


def test_read_only_posts_are_retried() -> None:
    c, seen = scripted([busy(), ok({"trace_id": "0" * 32, "results": [], "batches": []})])
    c.detect([b"bytes"])
    assert len(seen) == 2
    c, seen = scripted([busy(), ok({"trace_id": "0" * 32, "batches": [{"features": []}]})])
    assert c.search(b"bytes", ["d"]).hits == []
    assert len(seen) == 2


def test_a_full_database_or_spent_quota_is_not_retried() -> None:
    c, seen = scripted([busy(429, {"code": 8, "message": "quota", "internal_code": 3002})])
    with pytest.raises(fe.QuotaExceeded):
        c.get_database("d")
    assert len(seen) == 1


def test_refused_connections_are_retried_even_for_writes_then_reported() -> None:
    def refuse(r: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=r)

    c, seen = scripted([refuse, refuse, ok({"db_id": "d", "name": "x"})])
    assert c.create_database("x", 10).db_id == "d"
    assert len(seen) == 3
    c, seen = scripted([refuse])
    with pytest.raises(TransportError) as info:
        c.create_database("x", 10)
    assert isinstance(info.value, fe.Unavailable) and len(seen) == 4


def test_a_read_timeout_retries_reads_but_not_writes() -> None:
    def slow(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=r)

    c, seen = scripted([slow, ok(OK_LIST)])
    assert c.list_databases().databases == ["a"]
    assert len(seen) == 2
    c, seen = scripted([slow, ok({"db_id": "d"})])
    with pytest.raises(TransportError, match="timed out"):
        c.create_database("x", 10)
    assert len(seen) == 1


def test_an_error_without_json_is_still_typed() -> None:
    c, _ = scripted([lambda r: httpx.Response(502, text="<html>Bad gateway</html>")])
    with pytest.raises(ApiError) as info:
        c.info()
    assert info.value.status == 502 and "Bad gateway" in info.value.message
