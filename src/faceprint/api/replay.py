"""The opt-in stricter HMAC modes, beyond what Kong's hmac-auth checks by default.

What Kong's scheme (and Faceprint's default) protects: the secret key never travels; a request cannot be
made without it; the signed parts (``x-date`` and the request-line: method, path and query) cannot be
changed; a captured request stops working once its date leaves the clock skew (300 s).

What it does not protect: the body is not signed, so a man in the middle (only possible without TLS, or at
a TLS-terminating proxy) can change the image or the fields of a captured request; and a captured request
can be replayed, unchanged, as often as wanted until its date leaves the skew.

The stricter modes (settings, all off by default so Mercury's clients work unchanged):

* ``hmac_enforce_headers`` (Kong's ``enforce_headers``): header names every signature must cover, e.g.
  ``x-date,request-line,digest``; a signature that lacks one -> 401 ``HMAC signature cannot be verified``;
* ``hmac_validate_body`` (Kong's ``validate_request_body``): a request with a body must carry a ``Digest``
  header that matches it -> otherwise 401 ``HMAC signature does not match`` (a ``Digest`` that is present
  is always checked);
* ``hmac_reject_replays``: a signature already seen within the skew window is refused (401 ``HMAC signature
  cannot be verified``). The memory is per server process: behind a balancer with several nodes, a replay
  sent to another node is not caught. A client must then make each signature unique: ``x-date`` has a
  one-second resolution, so two identical GETs in the same second sign the same; sign a ``digest`` of the
  body or a nonce header such as ``x-request-id`` (any header listed in ``headers`` is signed).
"""

from __future__ import annotations

import time
from collections import OrderedDict

__all__ = ["ReplayGuard"]


class ReplayGuard:
    """Signatures seen in the last ``window_s`` seconds (at most ``capacity``, oldest forgotten first)."""

    def __init__(self, window_s: float, capacity: int = 500_000) -> None:
        self.window_s = window_s
        self.capacity = capacity
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def first_use(self, access_key: str, signature: str, now: float | None = None) -> bool:
        """True the first time this key's signature is seen within the window (and records it)."""
        now = time.monotonic() if now is None else now
        while self._seen:
            _, t = next(iter(self._seen.items()))
            if now - t <= self.window_s and len(self._seen) < self.capacity:
                break
            self._seen.popitem(last=False)
        key = (access_key, signature)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True
