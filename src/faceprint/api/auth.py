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

Step 4 is the one that touches the store (an indexed read, with PostgreSQL a network round trip, and an
AES-GCM open). The service runs it through a :class:`KeyCache`: keys seen in the last ``key_cache_seconds``
are answered from memory, the others are read in a worker thread so that the event loop never waits on the
store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.utils import mktime_tz, parsedate_tz

from starlette.concurrency import run_in_threadpool

from faceprint.api.errors import (
    KONG_BAD_DATE,
    KONG_MISMATCH,
    KONG_NOT_VERIFIED,
    KONG_UNAUTHORIZED,
    GatewayRefusal,
)
from faceprint.signing import (
    ALGORITHMS,
    AuthorizationHeader,
    build_signing_string,
    parse_authorization,
    signature_matches,
)

__all__ = [
    "KEY_CACHE_SIZE",
    "AsyncSecretLookup",
    "Credential",
    "KeyCache",
    "Principal",
    "SecretLookup",
    "authenticate",
    "digest_matches",
    "parse_http_time",
    "verify_request",
]

#: Access keys a KeyCache holds at most (a few hundred bytes each); the least recently used goes first.
KEY_CACHE_SIZE = 1024


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
    #: The header names the signature covers, lower-case, and the signature (for the stricter modes).
    signed: tuple[str, ...] = ()
    signature: str = ""


#: access key -> its active Credential, or None when unknown or revoked.
SecretLookup = Callable[[str], "Credential | None"]
#: The same, awaited (a :class:`KeyCache`).
AsyncSecretLookup = Callable[[str], Awaitable["Credential | None"]]


class KeyCache:
    """The credentials of recently used access keys, in front of a blocking ``lookup`` (store read + open).

    A key found active is reused for ``ttl`` seconds, counted from the start of the read that found it, so
    a key revoked anywhere (``faceprint keys revoke`` beside the service, another node of a PostgreSQL
    store) stops signing in at most ``ttl`` seconds later; no path of the service itself revokes keys, so
    there is nothing to drop at once. Unknown and revoked keys are not cached: a key made while the service
    runs signs in at once. A miss runs ``lookup`` in a worker thread, never on the event loop. At most
    ``max_keys`` entries, the least recently used dropped first. ``ttl`` 0: every request reads the store.

    Call it from the event loop only: the table is not locked, the loop is its one user."""

    def __init__(
        self, lookup: SecretLookup, *, ttl: float, max_keys: int = KEY_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or max_keys < 1:
            raise ValueError("KeyCache needs ttl >= 0 and max_keys >= 1")
        self._lookup = lookup
        self._ttl = ttl
        self._max = max_keys
        self._clock = clock
        #: access key -> (expiry on ``clock``, credential), least recently used first.
        self._entries: OrderedDict[str, tuple[float, Credential]] = OrderedDict()

    @property
    def ttl(self) -> float:
        """Seconds an active key is reused without reading the store (the revocation bound)."""
        return self._ttl

    def __len__(self) -> int:
        return len(self._entries)

    async def __call__(self, access_key: str) -> Credential | None:
        """The key's active credential, or None when it is unknown or revoked."""
        now = self._clock()
        hit = self._entries.get(access_key)
        if hit is not None:
            if hit[0] > now:
                self._entries.move_to_end(access_key)
                return hit[1]
            del self._entries[access_key]
        cred = await run_in_threadpool(self._lookup, access_key)
        if cred is not None and self._ttl > 0:
            # expiry counted from before the read: a revocation committed during it is still seen within ttl
            self._entries[access_key] = (now + self._ttl, cred)
            self._entries.move_to_end(access_key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return cred


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
    hmap, params = _check_header(headers, clock_skew, now)
    return _check_signature(method, request_uri, path, http_version, hmap, params, lookup(params.username))


async def authenticate(
    *,
    method: str,
    request_uri: str,
    path: str,
    http_version: str,
    headers: Sequence[tuple[str, str]],
    lookup: AsyncSecretLookup,
    clock_skew: float,
    now: float | None = None,
) -> Principal:
    """:func:`verify_request` with an awaited ``lookup`` (a :class:`KeyCache`): the checks that need no key
    run first, so a request refused by them never reaches the store."""
    hmap, params = _check_header(headers, clock_skew, now)
    cred = await lookup(params.username)
    return _check_signature(method, request_uri, path, http_version, hmap, params, cred)


def _check_header(
    headers: Sequence[tuple[str, str]], clock_skew: float, now: float | None
) -> tuple[dict[str, str], AuthorizationHeader]:
    """Steps 1-3: the joined headers and the parsed Authorization, or the refusal."""
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
    return hmap, params


def _check_signature(
    method: str, request_uri: str, path: str, http_version: str, hmap: dict[str, str],
    params: AuthorizationHeader, cred: Credential | None,
) -> Principal:
    """Steps 4-5: the key must be active and the HMAC must match one of the request-line forms."""
    if cred is None:
        raise GatewayRefusal(KONG_NOT_VERIFIED)
    version = _kong_version(http_version)
    for uri in dict.fromkeys((request_uri, path)):
        for ver in dict.fromkeys((version, "1.1")):
            signing = build_signing_string(params.headers, hmap, method, uri, ver)
            if signature_matches(cred.secret, signing, params.algorithm, params.signature):
                return Principal(params.username, cred.app_id, tuple(h.lower() for h in params.headers),
                                 params.signature)
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
