"""Faceprint's one Settings object, read from ``FACEPRINT_*`` environment variables (or a ``.env``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_model_dir"]


def default_model_dir() -> Path:
    """``$XDG_CACHE_HOME/faceprint/models`` (``~/.cache/faceprint/models``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "faceprint" / "models"


class Settings(BaseSettings):
    """Validated at start-up and passed into the app factory; never a module-level global."""

    model_config = SettingsConfigDict(env_prefix="FACEPRINT_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the HTTP service binds to.")
    port: int = Field(8866, ge=0, le=65535, description="TCP port of the HTTP service (0: any free port).")
    data_dir: Path = Field(Path("var"), description="Folder of the embedded store, the server key and credentials.")
    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="Model cache written by `faceprint models pull`; serving only reads it.",
    )
    store_url: str = Field(
        "",
        description="Storage backend: empty for the embedded SQLite store in data_dir, or a "
        "postgresql://user@host/db URL for the PostgreSQL + pgvector backend.",
    )
    server_key: str = Field(
        "",
        description="Base64 key (32 bytes) that seals the apps' secret keys at rest. Empty: generated once "
        "into data_dir/server.key (mode 0600). Every API node of one store needs the same key.",
    )
    clock_skew_s: int = Field(
        300, ge=1, description="Largest allowed difference between the server clock and x-date (or date), seconds."
    )
    hmac_enforce_headers: str = Field(
        "",
        description="Stricter mode (Kong's enforce_headers), comma-separated header names every signature must "
        "cover, e.g. `x-date,request-line,digest`; empty: none required (Mercury's clients sign x-date and "
        "request-line). See docs/api.md, Replays.",
    )
    hmac_validate_body: bool = Field(
        False,
        description="Stricter mode (Kong's validate_request_body): a request with a body must carry a Digest "
        "header (SHA-256 of the body) that matches it; a Digest that is sent is checked in any case.",
    )
    hmac_reject_replays: bool = Field(
        False,
        description="Stricter mode: a signature already used within the clock-skew window is refused (per server "
        "process). Clients must then make each signature unique (sign a digest of the body or a nonce header).",
    )
    max_image_bytes: int = Field(8 * 1024 * 1024, ge=1, description="Largest encoded image file accepted, bytes.")
    max_image_pixels: int = Field(
        50_000_000, ge=1024, description="Largest decoded image (width*height) accepted; bigger is refused."
    )
    max_decode_pixels: int = Field(
        16_000_000, ge=1024,
        description="The most pixels (width*height) an image is decoded to, counted from its header before "
        "decoding: a larger JPEG is decoded reduced by 2, 4 or 8 (draft mode; faces are reported in the "
        "file's pixels all the same, and must then be min_face times that factor to be found); any other "
        "larger file is refused at once (ImageTooManyPixels, 1105). The engine's time and memory grow "
        "with the pixels (a 49-megapixel PNG of zeros is 48 KB and ~15 s of engine time).",
    )
    max_images: int = Field(16, ge=1, le=64, description="Images per detect / batch-add request.")
    max_body_bytes: int = Field(
        16 * (8 * 1024 * 1024 * 4 // 3 + 4096) + 65536,
        ge=1024,
        description="Largest request body, bytes (default: 16 base64 images of 8 MB).",
    )
    default_quota: int = Field(100_000, ge=1, description="Feature-id quota of apps created without one.")
    min_face: int = Field(32, ge=8, description="Smallest face side detected, pixels.")
    recognizer: str = Field(
        "",
        description="The recogniser pack new databases and compare use, by name (`faceprint models list`) or "
        "feature_version; empty: the shipped default (SFace). Existing databases keep the pack they were made with.",
    )
    inference_threads: int = Field(
        0, ge=0, description="Threads for inference (0: one per CPU core)."
    )
    engine_processes: int = Field(
        -1,
        ge=-1,
        description="Worker processes that run the face engine, each with its own models (~0.4 GB): -1 one per "
        "CPU core on machines with 2 or more, 0 none (the engine runs in threads of the service process), N that "
        "many. Processes scale across cores where threads are held back by Python's interpreter lock.",
    )
    max_pending_images: int = Field(
        256,
        ge=1,
        description="Images in the engine's hands or waiting for it, all requests together; a request that "
        "would pass this is answered 503 Overloaded (internal_code 5101) at once instead of queuing (a request "
        "alone is always let in).",
    )
    app_max_pending_images: int = Field(
        32,
        ge=1,
        description="Images one app may have in the engine's hands or waiting for it; a request that would pass "
        "this is answered 429 (code 8, internal_code 3004 AppBusy) with a Retry-After header at once, so one "
        "tenant's flood never becomes the others' latency (a request alone is always let in).",
    )
    app_engine_slots: int = Field(
        0,
        ge=0,
        description="Engine places (inference threads) one app may hold at once while another app has used the "
        "engine in the last 60 s; 0: all but one (at least one). An app alone on the server uses them all. "
        "Waiting work is served round robin between apps (fair queueing).",
    )
    request_deadline_s: float = Field(
        30.0,
        ge=0,
        description="Time limit of a request's engine work, seconds from its admission; past it the caller gets "
        "504 (code 4, internal_code 5102 RequestDeadline) and the request's images not yet started are "
        "dropped. 0: no deadline.",
    )
    key_cache_seconds: float = Field(
        2.0,
        ge=0,
        le=300,
        description="How long an access key found active is trusted without reading the store again, seconds: "
        "a key revoked with `faceprint keys revoke` (or on another node of the store) stops signing in at most "
        "this long after. 0: the store is read on every signed request.",
    )
    add_attributes: bool = Field(
        True,
        description="Estimate the face attributes in batch-add answers, as Mercury Cloud does since v1.1.0 "
        "(about 20 ms per face). Off: bulk enrolment runs about 1.6 times as fast and the answer's faces carry "
        "empty attributes; search, detect, compare and quality are not affected.",
    )
    max_jobs_per_app: int = Field(
        2, ge=1, le=64,
        description="Background jobs (clustering, duplicate search) one app may run at once; one more is refused "
        "with TooManyJobs (429, internal_code 3005) until one ends.",
    )
    job_keep_seconds: float = Field(
        3600.0, ge=1,
        description="How long a finished job's result can be fetched (GET jobs/{job_id}), seconds; the 16 most "
        "recent finished jobs of an app are kept.",
    )
    job_threads: int = Field(
        1, ge=1, le=16, description="Threads that run background jobs, all apps together (jobs beyond wait).",
    )
    log_level: str = Field("INFO", description="Python logging level.")

    @field_validator("log_level")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    def inference_thread_count(self) -> int:
        """Threads of the inference pool: ``inference_threads``, or one per CPU core."""
        return self.inference_threads or (os.cpu_count() or 1)

    def engine_process_count(self) -> int:
        """The number of engine worker processes to start (0: run the engine in threads)."""
        if self.engine_processes >= 0:
            return self.engine_processes
        cores = os.cpu_count() or 1
        return cores if cores >= 2 else 0
