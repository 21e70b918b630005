"""Prometheus metrics of one app instance (own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["Metrics"]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """``faceprint_requests_total``, ``faceprint_request_seconds`` (per endpoint), ``faceprint_faces_total``
    (faces processed per endpoint) and ``faceprint_inflight_requests``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "faceprint_requests", "HTTP requests answered.", ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "faceprint_request_seconds", "Request latency in seconds, per endpoint.", ["endpoint", "method"],
            buckets=_BUCKETS, registry=self.registry,
        )
        self.faces = Counter(
            "faceprint_faces", "Faces processed (detected, compared, added, searched).", ["endpoint"],
            registry=self.registry,
        )
        self.inflight = Gauge("faceprint_inflight_requests", "Requests in progress.", registry=self.registry)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint, method).observe(seconds)

    def add_faces(self, endpoint: str, n: int) -> None:
        if n > 0:
            self.faces.labels(endpoint).inc(n)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
