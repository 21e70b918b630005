"""The asyncio client (same methods as the blocking one, awaited)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeVar

import httpx

from faceprint.client import _calls as calls
from faceprint.client._base import ClientBase
from faceprint.client._images import ImageInput, RectangleInput
from faceprint.client._models import (
    Ack,
    AddFeaturesResponse,
    Comparison,
    Database,
    DatabaseList,
    DetectResponse,
    FeatureInfo,
    FeaturePage,
    QualityResult,
    SearchResponse,
    SystemInfo,
)
from faceprint.client._people_models import ClusterResult, DuplicatesResult, Job, Verification

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(ClientBase):
    """An asyncio client of a Mercury-compatible face API (Faceprint or Mercury Cloud): the methods of
    :class:`~faceprint.client.Client`, awaited; close it with ``await client.aclose()`` or ``async with``.

    ``endpoint`` is the base URL, e.g. ``http://127.0.0.1:8866/openapi/face/v1`` (Mercury's ``api_url``);
    every request is signed with ``access_key``/``secret_key`` (Kong hmac-auth, as Mercury documents).
    ``timeout``: seconds per request; ``retries``: extra attempts for idempotent calls answered 429/503 or
    cut off by the network, with exponential back-off from ``backoff`` seconds. ``http_client``: an
    ``httpx.AsyncClient`` to send through, not closed by this client; ``transport``: e.g.
    ``httpx.ASGITransport(app)`` to call an app in process.

    Images are paths, file bytes or base64 text. Errors raise :class:`~faceprint.client.ApiError`
    subclasses that are also the matching :mod:`faceprint.errors` class."""

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
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(endpoint, app_id, access_key, secret_key, timeout=timeout, retries=retries,
                         backoff=backoff, algorithm=algorithm)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)

    async def aclose(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _run(self, call: calls.Call[T]) -> T:
        attempt = 0
        while True:
            request = self._request(self._http, call)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                delay = self._retry_delay(call, attempt, None, exc)
                if delay is None:
                    raise self._give_up(call, exc) from exc
            else:
                delay = self._retry_delay(call, attempt, response, None)
                if delay is None:
                    return self._decode(call, response)
            await asyncio.sleep(delay)
            attempt += 1

    async def detect(self, images: Sequence[ImageInput] | ImageInput,
               rectangles: Sequence[RectangleInput | None] | None = None) -> DetectResponse:
        """Every face in each of 1-16 images (``rectangles[i]``: only faces overlapping it)."""
        return await self._run(calls.detect(images, rectangles))

    async def compare(
        self, one: ImageInput, another: ImageInput, *, one_rectangle: RectangleInput | None = None,
        another_rectangle: RectangleInput | None = None,
    ) -> Comparison:
        """Similarity 0..1 of the largest face in each image. Raises NoFace if either has none."""
        return await self._run(calls.compare(one, another, one_rectangle, another_rectangle))

    async def quality(self, image: ImageInput, rectangle: RectangleInput | None = None) -> QualityResult:
        """Quality check of the largest face (angle, sharpness, brightness, occlusion, ...)."""
        return await self._run(calls.quality(image, rectangle))

    async def create_database(
        self, name: str, max_size: int, description: str = "", feature_version: int | None = None
    ) -> Database:
        """A new feature database holding at most ``max_size`` features (fixed for its lifetime).
        ``feature_version``: its recogniser pack (Faceprint extension; ``info().recognizers`` lists them;
        None: the server's default)."""
        return await self._run(calls.create_database(name, max_size, description, feature_version))

    async def list_databases(self) -> DatabaseList:
        """The app's db_ids."""
        return await self._run(calls.list_databases())

    async def get_database(self, db_id: str) -> Database:
        """One database's name, description, max_size and current size."""
        return await self._run(calls.get_database(db_id))

    async def delete_database(self, db_id: str) -> Ack:
        """Delete a database and every feature in it."""
        return await self._run(calls.delete_database(db_id))

    async def add_features(self, db_id: str, items: Sequence[calls.FeatureInput]) -> AddFeaturesResponse:
        """Add the largest face of each of 1-16 images; ``results[i]`` says how item ``i`` fared.
        Items: ``NewFeature``, an image, or ``(image, key, extra_info)`` tuples (key, extra_info optional)."""
        return await self._run(calls.add_features(db_id, items))

    async def get_feature(self, db_id: str, feature_id: str) -> FeatureInfo:
        """A feature's key and extra_info."""
        return await self._run(calls.get_feature(db_id, feature_id))

    async def list_features(
        self, db_id: str, offset: int = 0, limit: int = 100, key: str | None = None
    ) -> FeaturePage:
        """Faceprint extension: the database's features, oldest first, ``limit`` (1..1000) from ``offset``;
        only those with ``key`` when given. ``next_offset`` of the answer is None on the last page."""
        return await self._run(calls.list_features(db_id, offset, limit, key))

    async def delete_feature(self, db_id: str, feature_id: str) -> Ack:
        """Delete one feature."""
        return await self._run(calls.delete_feature(db_id, feature_id))

    async def update_extra_info(self, db_id: str, feature_id: str, extra_info: str) -> FeatureInfo:
        """Replace a feature's extra_info (at most 1024 characters)."""
        return await self._run(calls.update_extra_info(db_id, feature_id, extra_info))

    async def search(
        self, image: ImageInput, db_ids: str | Sequence[str], *, top_k: int = 1, min_score: float = 0.0,
        rectangle: RectangleInput | None = None, group_by_key: bool = False,
    ) -> SearchResponse:
        """The ``top_k`` features most similar to the largest face, per database, with
        ``score >= min_score`` (0..1; applied before top_k). ``group_by_key`` (Faceprint extension): one hit
        per key, the persons in ``batches[i].persons``, top_k counting persons."""
        return await self._run(calls.search(image, db_ids, top_k, min_score, rectangle, group_by_key))

    # -- person level (Faceprint extensions) ------------------------------------------------------
    async def start_cluster(self, db_id: str, *, threshold: float | None = None, wait_s: float = 0.0) -> Job:
        """Starts clustering a database into people; the job (done if it ended within ``wait_s``)."""
        return await self._run(calls.start_cluster(db_id, threshold, wait_s))

    async def start_duplicates(
        self, db_id: str, *, threshold: float | None = None, same_photo_score: float | None = None,
        limit: int = 1000, wait_s: float = 0.0,
    ) -> Job:
        """Starts the search for duplicate features; the job (done if it ended within ``wait_s``)."""
        return await self._run(calls.start_duplicates(db_id, threshold, same_photo_score, limit, wait_s))

    async def get_job(self, job_id: str, wait_s: float = 0.0) -> Job:
        """A job's state, after waiting up to ``wait_s`` (at most 60) for it to end."""
        return await self._run(calls.get_job(job_id, wait_s))

    async def delete_job(self, job_id: str) -> Job:
        """Cancels and forgets a job."""
        return await self._run(calls.delete_job(job_id))

    async def wait_job(self, job: Job, progress: Callable[[Job], None] | None = None, poll_s: float = 10.0) -> Job:
        """Polls ``job`` until it ends, calling ``progress`` with each state."""
        while not job.done:
            if progress is not None:
                progress(job)
            job = await self.get_job(job.job_id, wait_s=poll_s)
        if progress is not None:
            progress(job)
        return job

    async def cluster(
        self, db_id: str, *, threshold: float | None = None, progress: Callable[[Job], None] | None = None,
    ) -> ClusterResult:
        """Groups a database's features into people (at ``threshold``; None: the recogniser's documented
        same-person score), waiting for the job; ``progress`` sees each polled state."""
        job = await self.wait_job(await self.start_cluster(db_id, threshold=threshold, wait_s=10.0), progress)
        out = job.outcome()
        assert isinstance(out, ClusterResult)
        return out

    async def find_duplicates(
        self, db_id: str, *, threshold: float | None = None, same_photo_score: float | None = None,
        limit: int = 1000, progress: Callable[[Job], None] | None = None,
    ) -> DuplicatesResult:
        """Pairs of one photo enrolled twice and of one person under two keys, best first."""
        job = await self.start_duplicates(db_id, threshold=threshold, same_photo_score=same_photo_score, limit=limit,
                                    wait_s=10.0)
        out = (await self.wait_job(job, progress)).outcome()
        assert isinstance(out, DuplicatesResult)
        return out

    async def verify(
        self, image: ImageInput, db_id: str, key: str, *, threshold: float | None = None,
        rectangle: RectangleInput | None = None,
    ) -> Verification:
        """The largest face against every feature of ``key``: aggregate score and decision."""
        return await self._run(calls.verify(db_id, key, image, threshold, rectangle))

    async def info(self) -> SystemInfo:
        """The Get System Info answer (API version and server details)."""
        return await self._run(calls.info())

