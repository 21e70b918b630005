"""Kong hmac-auth 2.x, re-implemented: the checks, their order and their four 401 messages.

Order (as Kong's ``do_authentication``):

1. neither ``Proxy-Authorization`` nor ``Authorization`` -> ``Unauthorized``;
2. neither ``x-date`` nor ``date`` parses to a time within ``clock_skew`` seconds of now -> the date message;
3. the header does not match Kong's regex, or username / signature is empty, or the algorithm is not one
   of hmac-sha1/256/384/512 -> ``HMAC signature cannot be verified``;
4. the access key is unknown or revoked -> ``HMAC signature cannot be verified``;
5. the HMAC over the signing string differs -> ``HMAC signature does not match``. The request-line is
   tried with the raw path plus query string (Kong's ``request_uri``), then with the decoded path without
   query (Kong 2.x's deprecated form, which Mercury's JS demo relies on), each with the HTTP version the
   server saw and with ``HTTP/1.1`` (all known clients hard-code it, whatever the transport);
6. a ``Digest: SHA-256=<base64>`` header, when the client sends one, must match the body
   (Kong's optional ``validate_request_body``) -> otherwise ``HMAC signature does not match``.

Kong does not sign the body by default: a client that wants the body covered sends ``Digest`` and lists
``digest`` in the signed headers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import mktime_tz, parsedate_tz

from faceprint.api.errors import (
    KONG_BAD_DATE,
    KONG_MISMATCH,
    KONG_NOT_VERIFIED,
    KONG_UNAUTHORIZED,
    GatewayRefusal,
)
from faceprint.signing import ALGORITHMS, build_signing_string, parse_authorization, signature_matches

__all__ = ["Credential", "Principal", "SecretLookup", "digest_matches", "parse_http_time", "verify_request"]


@dataclass(frozen=True, slots=True)
class Credential:
    """What the server knows of an access key: its app and its plain secret."""

    app_id: str
    secret: str


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    access_key: str
    app_id: str


#: access key -> its active Credential, or None when unknown or revoked.
SecretLookup = Callable[[str], "Credential | None"]


def parse_http_time(value: str) -> float | None:
    """Seconds since the epoch of an HTTP date (IMF-fixdate, RFC 850 or asctime), None if unparsable.

    A date without a zone is read as GMT, as nginx's ``ngx.parse_http_time`` does."""
    parsed = parsedate_tz(value.strip())
    if parsed is None:
        return None
    if parsed[9] is None:
        parsed = (*parsed[:9], 0)
    try:
        return float(mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def _date_ok(value: str | None, now: float, skew: float) -> bool:
    if value is None:
        return False
    t = parse_http_time(value)
    return t is not None and abs(now - t) <= skew


def verify_request(
    *,
    method: str,
    request_uri: str,
    path: str,
    http_version: str,
    headers: Sequence[tuple[str, str]],
    lookup: SecretLookup,
    clock_skew: float,
    now: float | None = None,
) -> Principal:
    """Authenticate one request as Kong hmac-auth 2.x does; raise :class:`GatewayRefusal` otherwise.

    ``request_uri``: the raw path plus ``?query`` as sent; ``path``: the decoded path without query;
    ``http_version``: as the server saw it (``"1.1"``, ``"2"``...); ``headers``: (lower-case name, value)
    pairs; repeated headers are joined with ``", "`` as nginx does. ``clock_skew`` in seconds."""
    hmap: dict[str, str] = {}
    for name, value in headers:
        hmap[name] = f"{hmap[name]}, {value}" if name in hmap else value
    auth_value = hmap.get("proxy-authorization")
    plain_auth = hmap.get("authorization")
    if auth_value is None and plain_auth is None:
        raise GatewayRefusal(KONG_UNAUTHORIZED)
    now = time.time() if now is None else now
    if not (_date_ok(hmap.get("x-date"), now, clock_skew) or _date_ok(hmap.get("date"), now, clock_skew)):
        raise GatewayRefusal(KONG_BAD_DATE)
    params = parse_authorization(auth_value) if auth_value is not None else None
    if params is None and plain_auth is not None:
        params = parse_authorization(plain_auth)
    if params is None or not params.username or not params.signature or params.algorithm not in ALGORITHMS:
        raise GatewayRefusal(KONG_NOT_VERIFIED)
    cred = lookup(params.username)
    if cred is None:
        raise GatewayRefusal(KONG_NOT_VERIFIED)
    version = _kong_version(http_version)
    for uri in dict.fromkeys((request_uri, path)):
        for ver in dict.fromkeys((version, "1.1")):
            signing = build_signing_string(params.headers, hmap, method, uri, ver)
            if signature_matches(cred.secret, signing, params.algorithm, params.signature):
                return Principal(params.username, cred.app_id)
    raise GatewayRefusal(KONG_MISMATCH)


def digest_matches(digest_header: str, body: bytes) -> bool:
    """Kong's ``validate_request_body``: ``Digest`` must equal ``SHA-256=<base64(sha256(body))>``."""
    expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    return hmac.compare_digest(expected.encode(), digest_header.strip().encode())


def _kong_version(http_version: str) -> str:
    """nginx's ``%.01f`` of the HTTP version: ``"1.1"``, ``"1.0"``, ``"2.0"``."""
    try:
        return f"{float(http_version):.1f}"
    except ValueError:
        return "1.1"
