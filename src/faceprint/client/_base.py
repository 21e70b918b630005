"""What the sync and async clients share: URLs, signing, answer decoding and the retry policy."""

from __future__ import annotations

import logging
import random
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from faceprint import __version__ as _version
from faceprint.client._calls import Call
from faceprint.client._errors import TransportError, error_from_response
from faceprint.signing import ALGORITHMS, sign_request

__all__ = ["ClientBase"]

log = logging.getLogger("faceprint.client")

T = TypeVar("T")

#: Causes that a 429 can carry which waiting will not fix (a full database, a spent quota).
_PERMANENT_429 = frozenset({3001, 3002, 3003})
_RETRY_STATUS = frozenset({429, 503})


class ClientBase:
    """Configuration and the transport-independent half of a client."""

    def __init__(
        self,
        endpoint: str,
        app_id: str,
        access_key: str,
        secret_key: str,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.5,
        algorithm: str = "hmac-sha256",
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint must be an http(s) URL, e.g. http://127.0.0.1:8866/openapi/face/v1; "
                             f"got {endpoint!r}")
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}")
        if retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("retries >= 0, timeout > 0 and backoff >= 0 are required")
        #: Base URL as Mercury's ``api_url``, e.g. ``http://127.0.0.1:8866/openapi/face/v1``.
        self.endpoint = endpoint.rstrip("/")
        self.app_id = app_id
        self.access_key = access_key
        self._secret_key = secret_key
        #: Seconds allowed for each request (connect, send, wait, read).
        self.timeout = timeout
        #: Extra attempts after the first, for idempotent calls answered 429/503 or cut off.
        self.retries = retries
        #: First back-off delay in seconds; doubles with each attempt (with jitter), at most 8 s.
        self.backoff = backoff
        self.algorithm = algorithm

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.endpoint!r}, app_id={self.app_id!r})"

    @staticmethod
    def _headers() -> dict[str, str]:
        return {"User-Agent": f"faceprint-client/{_version}", "Accept": "application/json"}

    def _url(self, call: Call[Any]) -> str:
        return f"{self.endpoint}/{quote(self.app_id, safe='')}/{call.path}"

    def _request(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        """``call`` as a request of ``http``, signed over ``x-date`` and the request line with the path and
        query exactly as they will be sent."""
        request = http.build_request(call.method, self._url(call), json=call.body, headers=self._headers(),
                                     timeout=self.timeout)
        request_uri = request.url.raw_path.decode("ascii")
        headers = sign_request(self.access_key, self._secret_key, request.method, request_uri,
                               algorithm=self.algorithm)
        request.headers.update(headers)
        return request

    @staticmethod
    def _decode(call: Call[T], response: httpx.Response) -> T:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            status = response.status_code if response.status_code >= 400 else 502
            raise error_from_response(status, body, response.text)
        return call.parse(body)

    def _retry_delay(self, call: Call[Any], attempt: int, response: httpx.Response | None,
                     exc: httpx.TransportError | None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up now."""
        if attempt >= self.retries:
            return None
        if exc is not None:
            # A refused connection never sent the request, so even a write may be retried.
            if not (call.idempotent or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)):
                return None
        elif response is None or not call.idempotent or response.status_code not in _RETRY_STATUS:
            return None
        elif response.status_code == 429:
            try:
                internal = response.json().get("internal_code")
            except (ValueError, AttributeError):
                internal = None
            if internal in _PERMANENT_429:
                return None
        delay = min(8.0, self.backoff * (2.0**attempt)) * (0.5 + random.random() / 2)
        if response is not None:
            after = response.headers.get("retry-after", "")
            if after.isdigit():
                delay = max(delay, min(float(after), 30.0))
        log.debug("retrying %s %s in %.2f s (attempt %d)", call.method, call.path, delay, attempt + 2)
        return delay

    @staticmethod
    def _give_up(call: Call[Any], exc: httpx.TransportError) -> TransportError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        return TransportError(f"{call.method} {call.path} {kind}: {exc or type(exc).__name__}")
