"""Request signing as Kong's hmac-auth plugin (2.x) checks it, and as Mercury Cloud's clients sign.

The client (SDK) signs with :func:`sign_request`; the server verifies with :func:`build_signing_string`
and :func:`signature_matches`, so both sides share one definition.

Signing string: for each name in the ``headers`` list, in order, ``"<name>: <value>"`` when the request has
that header, ``"<METHOD> <request_uri> HTTP/<ver>"`` for ``request-line`` (``request_uri`` is the raw path
plus the query string as sent), ``"<name>:"`` otherwise; joined by ``"\\n"`` with no trailing newline.
The signature is ``base64(HMAC-<alg>(secret, signing_string))``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate

__all__ = [
    "ALGORITHMS",
    "AuthorizationHeader",
    "build_signing_string",
    "compute_signature",
    "http_date",
    "parse_authorization",
    "sign_request",
    "signature_matches",
]

#: The algorithms Kong's hmac-auth allows by default, mapped to hashlib names.
ALGORITHMS: dict[str, str] = {
    "hmac-sha1": "sha1",
    "hmac-sha256": "sha256",
    "hmac-sha384": "sha384",
    "hmac-sha512": "sha512",
}

# Kong 2.x: \s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"
_AUTH_RE = re.compile(
    r'\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)"'
)


@dataclass(frozen=True, slots=True)
class AuthorizationHeader:
    username: str
    algorithm: str
    headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> AuthorizationHeader | None:
    """Parse an ``Authorization: hmac username=..., algorithm=..., headers=..., signature=...`` value.

    Returns None when the value does not have Kong's shape."""
    m = _AUTH_RE.match(value)
    if not m:
        return None
    username, algorithm, headers, signature = m.groups()
    return AuthorizationHeader(username, algorithm, tuple(headers.split(" ")), signature)


def build_signing_string(
    header_names: Sequence[str],
    headers: Mapping[str, str],
    method: str,
    request_uri: str,
    http_version: str = "1.1",
) -> str:
    """The string Kong signs. ``headers`` is looked up case-insensitively (keys lower-case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    parts: list[str] = []
    for name in header_names:
        value = lower.get(name.lower())
        if value is not None:
            parts.append(f"{name}: {value}")
        elif name.lower() == "request-line":
            parts.append(f"{method.upper()} {request_uri} HTTP/{http_version}")
        else:
            parts.append(f"{name}:")
    return "\n".join(parts)


def compute_signature(secret: str, signing_string: str, algorithm: str = "hmac-sha256") -> str:
    """``base64(HMAC(secret, signing_string))`` with one of :data:`ALGORITHMS`."""
    digest = hmac.new(secret.encode(), signing_string.encode(), ALGORITHMS[algorithm]).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(secret: str, signing_string: str, algorithm: str, signature_b64: str) -> bool:
    """Constant-time comparison of the expected HMAC with the base64-decoded ``signature_b64``."""
    try:
        given = base64.b64decode(signature_b64, validate=True)
    except (ValueError, TypeError):
        return False
    expected = hmac.new(secret.encode(), signing_string.encode(), ALGORITHMS[algorithm]).digest()
    return hmac.compare_digest(expected, given)


def http_date(timestamp: float | None = None) -> str:
    """RFC 7231 IMF-fixdate in GMT, e.g. ``Fri, 09 Jul 2021 01:51:02 GMT``."""
    return formatdate(timestamp, usegmt=True)


def sign_request(
    access_key: str,
    secret_key: str,
    method: str,
    request_uri: str,
    date: str | None = None,
    algorithm: str = "hmac-sha256",
    body: bytes | None = None,
) -> dict[str, str]:
    """The ``x-date`` and ``Authorization`` headers for one request, signed over
    ``x-date request-line`` exactly as Mercury Cloud's guide and demo client do.

    ``body`` given: also a ``Digest: SHA-256=<base64(sha256(body))>`` header, signed as ``digest`` (Kong's
    ``validate_request_body``), so that the body cannot be changed in transit; a server in the stricter mode
    (``FACEPRINT_HMAC_ENFORCE_HEADERS``, ``FACEPRINT_HMAC_VALIDATE_BODY``) requires it."""
    x_date = date or http_date()
    names: tuple[str, ...] = ("x-date", "request-line")
    values = {"x-date": x_date}
    if body is not None:
        names += ("digest",)
        values["digest"] = body_digest(body)
    signing = build_signing_string(names, values, method, request_uri)
    sig = compute_signature(secret_key, signing, algorithm)
    auth = (
        f'hmac username="{access_key}", algorithm="{algorithm}", '
        f'headers="{" ".join(names)}", signature="{sig}"'
    )
    out = {"x-date": x_date, "Authorization": auth}
    if body is not None:
        out["Digest"] = values["digest"]
    return out


def body_digest(body: bytes) -> str:
    """The ``Digest`` header value of ``body``: ``SHA-256=<base64(sha256(body))>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
