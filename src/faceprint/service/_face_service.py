"""The single seam between the HTTP API (or any other front) and the engine + store: limits, order of checks,
where each piece of work runs, score mapping.

Every public method is a coroutine: engine work runs in the inference pool, store work in worker threads
(:class:`~faceprint.service.Offload`), so a front only parses, calls and renders. Every method takes the
authenticated ``app_id``: a database of another app behaves as unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from faceprint import errors as fpe
from faceprint.engine.recognizers.packs import PackSpec, ScoreMap, load_packs, parse_model_version, resolve_pack
from faceprint.engine.types import Face, ImageInput
from faceprint.identity import group_by_key as group_hits
from faceprint.service._jobs import Job, JobRegistry
from faceprint.service._offload import Offload
from faceprint.service._people import (
    People,
    PersonHit,
    Verification,
)
from faceprint.settings import Settings
from faceprint.storage.base import MAX_TOP_K, App, Database, Feature, NewFeature, Store

if TYPE_CHECKING:
    from faceprint.engine.engine import Comparison, ImageFaces, QualityReport
    from faceprint.engine.protocol import FaceEngine

__all__ = [
    "AddedItem",
    "FaceService",
    "NewItem",
    "ScoredHit",
    "SearchResult",
    "SystemInfo",
    "feature_version",
]

T = TypeVar("T")

#: One image's largest face with its descriptors, or the image's error.
Embedded = tuple[Face, "ImageFaces"] | fpe.FaceprintError


async def _all(*calls: Coroutine[Any, Any, T]) -> list[T]:
    """The results of ``calls`` run side by side, in order; the first error cancels the others (their
    images not started yet leave the queue) and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in calls]
    except BaseExceptionGroup as eg:
        first = eg.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [t.result() for t in tasks]


def feature_version(packs: dict[str, PackSpec], model_version: str) -> int:
    """The API's integer ``feature_version`` of a database's model version (0 if its pack is unknown here)."""
    spec = packs.get(parse_model_version(model_version)[0])
    return 0 if spec is None else spec.feature_version


@dataclass(frozen=True, slots=True)
class NewItem:
    """One image of a batch add: its largest face becomes a feature with ``key`` and ``extra_info``."""

    image: ImageInput
    key: str
    extra_info: str = ""


@dataclass(frozen=True, slots=True)
class AddedItem:
    """One batch-add answer: the stored feature and the face it came from, or the item's error."""

    key: str
    extra_info: str
    feature: Feature | None = None
    face: Face | None = None
    error: fpe.FaceprintError | None = None


@dataclass(frozen=True, slots=True)
class ScoredHit:
    feature: Feature
    #: API score, 0..1.
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The probe's largest face and, per requested db_id in order, its hits (best first) or its error.

    Grouped by key (``persons`` not None): ``batches[i]`` holds each person's best hit and ``persons[i]`` the
    persons themselves, best first (empty where the batch failed)."""

    face: Face
    batches: list[list[ScoredHit] | fpe.FaceprintError]
    persons: list[list[PersonHit]] | None = None


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """What ``GET info`` reports of an app and this server."""

    app: App
    databases: int
    #: Feature ids reserved by the app's databases (the sum of their max_size).
    quota_used: int
    packs: list[PackSpec]
    default_pack: PackSpec


class FaceService:
    """Faceprint's use cases over one engine and one store.

    ``offload`` (None: one sized to the settings) is where blocking work runs; the service closes it."""

    def __init__(
        self, engine: FaceEngine | None, store: Store, settings: Settings, offload: Offload | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self.settings = settings
        # the engine's places: one per worker process when it has them (more threads would only queue FIFO
        # in the process pool, out of the fair queue's reach), else the inference threads
        places = getattr(engine, "processes", 0) or settings.inference_thread_count()
        self.offload = offload or Offload(
            places, settings.max_pending_images,
            app_max_pending=settings.app_max_pending_images, app_slots=settings.app_engine_slots,
            deadline_s=settings.request_deadline_s,
        )
        #: Every recogniser pack this server knows, by name.
        self.packs: dict[str, PackSpec] = engine.packs if engine is not None else load_packs(settings.model_dir)
        #: Whether the models are loaded (readiness).
        self.ready = engine is not None
        #: The pack of new databases and of compare.
        self.default_pack: PackSpec = resolve_pack(self.packs, settings.recognizer)
        #: Background jobs (clustering, duplicates) of every app.
        self.jobs = JobRegistry(settings.max_jobs_per_app, settings.job_keep_seconds, settings.job_threads)
        self._people = People(store, self.offload, self.jobs, lambda: self.engine, self.pack_of)

    @property
    def engine(self) -> FaceEngine:
        if self._engine is None:
            raise fpe.ModelMissing("The face engine is not loaded.")
        return self._engine

    def close(self) -> None:
        """Cancels the jobs, waits for the engine work in progress; the engine and store are their owner's to
        close."""
        self.jobs.close()
        self.offload.close()

    # -- limits and health -----------------------------------------------------------------------
    def check_image_count(self, n: int) -> None:
        """NoImages for 0, TooManyImages above ``settings.max_images``; before any image is decoded."""
        if n == 0:
            raise fpe.NoImages()
        if n > self.settings.max_images:
            raise fpe.TooManyImages(f"At most {self.settings.max_images} images per request.")

    async def problems(self) -> list[str]:
        """Why the service is not ready (empty when it is): models not loaded, store not usable."""
        out: list[str] = [] if self.ready else ["models not loaded"]
        try:
            await self.offload.store(self._store.list_apps)
        except Exception as e:  # any store failure means not ready
            out.append(f"store not usable: {type(e).__name__}")
        return out

    # -- images ----------------------------------------------------------------------------------
    async def detect(self, images: Sequence[ImageInput], app_id: str = "") -> list[ImageFaces | fpe.FaceprintError]:
        """Every face of each image, in order (decision 5: no face is ``faces: []``, not an error); an image
        that cannot be read yields its error in its slot. The images run side by side in the pool, each
        waiting for ``app_id``'s fair turn; past the request deadline the rest are dropped (RequestDeadline)."""
        self.check_image_count(len(images))
        with self.offload.admit(len(images), app_id) as ticket:
            return await _all(*(self.offload.run(ticket, self._detect_one, img) for img in images))

    def _detect_one(self, image: ImageInput) -> ImageFaces | fpe.FaceprintError:
        try:
            return self.engine.detect(image.source, image.rectangle, embed=False, attributes=True)
        except fpe.FaceprintError as e:
            return e

    async def compare(self, one: ImageInput, another: ImageInput, app_id: str = "") -> Comparison:
        """The score of the two largest faces by the default recogniser (``settings.recognizer``)."""
        with self.offload.admit(2, app_id) as ticket:
            return await self.offload.run(
                ticket,
                self.engine.compare, one.source, another.source, one.rectangle, another.rectangle,
                pack=self.default_pack.name,
            )

    async def quality(self, image: ImageInput, app_id: str = "") -> QualityReport:
        """The quality check of the largest face; NoFace when there is none."""
        with self.offload.admit(1, app_id) as ticket:
            return await self.offload.run(ticket, self.engine.quality, image.source, image.rectangle)

    # -- databases -------------------------------------------------------------------------------
    async def create_database(
        self, app_id: str, name: str, description: str, max_size: int | None, feature_version: int | None = None
    ) -> Database:
        """A database whose features come from the recogniser with ``feature_version`` (None: the default
        pack), scored by that pack's current calibration for as long as the database lives."""
        if max_size is None:
            raise fpe.BadMaxSize()
        spec = self.default_pack if feature_version is None else resolve_pack(self.packs, str(feature_version))
        return await self.offload.store(
            self._store.create_database, app_id, name, description, max_size, spec.model_version
        )

    async def list_databases(self, app_id: str) -> list[Database]:
        """The app's databases, oldest first."""
        return await self.offload.store(self._store.list_databases, app_id)

    async def get_database(self, app_id: str, db_id: str) -> Database:
        return await self.offload.store(self._store.get_database, app_id, db_id)

    async def delete_database(self, app_id: str, db_id: str) -> None:
        await self.offload.store(self._store.delete_database, app_id, db_id)

    def feature_version(self, model_version: str) -> int:
        return feature_version(self.packs, model_version)

    def pack_of(self, model_version: str) -> tuple[PackSpec, ScoreMap]:
        """The recogniser pack and score map of a database's model_version; ModelVersionMismatch when this
        server lacks that pack (e.g. a user pack removed from the model cache)."""
        name, calibration = parse_model_version(model_version)
        spec = self.packs.get(name)
        if spec is None or calibration not in spec.score_maps:
            raise fpe.ModelVersionMismatch(
                f"The database holds descriptors of {model_version!r}, a recogniser this server does not have."
            )
        return spec, spec.score_maps[calibration]

    async def info(self, app_id: str) -> SystemInfo:
        app = await self.offload.store(self._store.get_app, app_id)
        use = await self.offload.store(self._store.app_usage, app_id)
        return SystemInfo(app, use.databases, use.reserved, list(self.packs.values()), self.default_pack)

    # -- features --------------------------------------------------------------------------------
    async def add_features(self, app_id: str, db_id: str, items: Sequence[NewItem]) -> list[AddedItem]:
        """The largest face of each image becomes one feature, in one store write; answers in order. The
        database (and its recogniser) is checked before any inference (DatabaseNotFound,
        ModelVersionMismatch fail the whole call); per-item failures (bad image, no face, database full)
        fail only their item. The images are split over the inference pool so one request uses every core,
        in pieces of at most two images, each waiting for the app's fair turn."""
        self.check_image_count(len(items))
        db = await self.get_database(app_id, db_id)
        spec, _ = self.pack_of(db.model_version)
        n_chunks = max(min(len(items), self.offload.threads), (len(items) + 1) // 2)
        chunks = [[it.image for it in items[i::n_chunks]] for i in range(n_chunks)]
        with self.offload.admit(len(items), app_id) as ticket:
            parts = await _all(*(self.offload.run(ticket, self._embed, c, spec.name) for c in chunks))
        embedded: list[Embedded] = [fpe.InternalError("No descriptor was computed.")] * len(items)
        for i, part in enumerate(parts):
            embedded[i::n_chunks] = part
        return await self.offload.store(self._store_features, app_id, db, items, embedded)

    def _embed(self, images: Sequence[ImageInput], pack: str) -> list[Embedded]:
        return list(self.engine.embed_many(images, attributes=self.settings.add_attributes, packs=[pack]))

    def _store_features(
        self, app_id: str, db: Database, items: Sequence[NewItem], embedded: Sequence[Embedded],
    ) -> list[AddedItem]:
        out: list[AddedItem | None] = [None] * len(items)
        to_store: list[tuple[int, Face, NewFeature]] = []
        for i, (item, res) in enumerate(zip(items, embedded, strict=True)):
            if isinstance(res, fpe.FaceprintError):
                out[i] = AddedItem(item.key, item.extra_info, error=res)
                continue
            face = res[0]
            if face.embedding is None:
                out[i] = AddedItem(item.key, item.extra_info, error=fpe.InternalError("No descriptor was computed."))
                continue
            to_store.append((i, face, NewFeature(face.embedding, item.key, item.extra_info)))
        if to_store:
            stored = self._store.add_features(app_id, db.db_id, [nf for _, _, nf in to_store], db.model_version)
            for (i, face, nf), res2 in zip(to_store, stored, strict=True):
                if isinstance(res2, fpe.FaceprintError):
                    out[i] = AddedItem(nf.key, nf.extra_info, error=res2)
                else:
                    out[i] = AddedItem(nf.key, nf.extra_info, feature=res2, face=face)
        return [o for o in out if o is not None]

    async def get_feature(self, app_id: str, db_id: str, feature_id: str) -> Feature:
        return await self.offload.store(self._store.get_feature, app_id, db_id, feature_id)

    async def list_features(
        self, app_id: str, db_id: str, offset: int, limit: int, key: str | None = None
    ) -> tuple[list[Feature], bool]:
        """One page of the database's features, oldest first, and whether more follow (Faceprint extension)."""
        found = await self.offload.store(self._store.list_features, app_id, db_id, offset, limit + 1, key)
        return found[:limit], len(found) > limit

    async def delete_feature(self, app_id: str, db_id: str, feature_id: str) -> None:
        await self.offload.store(self._store.delete_feature, app_id, db_id, feature_id)

    async def update_extra_info(self, app_id: str, db_id: str, feature_id: str, extra_info: str) -> Feature:
        """Replaces extra_info; the key is immutable."""
        return await self.offload.store(self._store.update_extra_info, app_id, db_id, feature_id, extra_info)

    # -- 1:N -------------------------------------------------------------------------------------
    async def search(
        self, app_id: str, db_ids: Sequence[str], image: ImageInput, top_k: int, min_score: float,
        group_by_key: bool = False,
    ) -> SearchResult:
        """Largest face of ``image`` against each database: hits with score >= min_score, best first,
        at most top_k. NoFace fails the whole request; an unknown db_id fails its own batch.

        Databases of different recognisers are searched together: the probe's descriptor is computed once
        per pack needed, and each database scores by its own pack's calibration.

        ``group_by_key``: top_k counts persons, not features: the best 1000 hits of each database are grouped
        by key (a feature without a key is a person of its own), each person with its best hit, the mean score
        of its hits and their number."""
        with self.offload.admit(1, app_id) as ticket:
            found = await self.offload.run(
                ticket, self._search, app_id, db_ids, image, MAX_TOP_K if group_by_key else top_k, min_score
            )
        if not group_by_key:
            return found
        persons: list[list[PersonHit]] = []
        batches: list[list[ScoredHit] | fpe.FaceprintError] = []
        for b in found.batches:
            if isinstance(b, fpe.FaceprintError):
                persons.append([])
                batches.append(b)
                continue
            groups = group_hits(b, lambda h: h.feature.key, lambda h: h.score, top_k)
            persons.append([PersonHit(g.key, g.hits[0].feature, g.best, g.mean, g.matched) for g in groups])
            batches.append([g.hits[0] for g in groups])
        return SearchResult(found.face, batches, persons)

    # -- person level ----------------------------------------------------------------------------
    async def start_cluster(self, app_id: str, db_id: str, threshold: float | None, wait_s: float) -> Job:
        """Clusters the database into people (a job); waits up to ``wait_s`` for it to end. The job's result
        is a :class:`ClusterReport`."""
        job = await self._people.start_cluster(app_id, db_id, threshold)
        await self.jobs.wait(job, wait_s)
        return job

    async def start_duplicates(
        self, app_id: str, db_id: str, threshold: float | None, same_photo_score: float | None, limit: int,
        wait_s: float,
    ) -> Job:
        """Finds duplicate pairs (a job, result :class:`DuplicatesReport`); waits up to ``wait_s``."""
        job = await self._people.start_duplicates(app_id, db_id, threshold, same_photo_score, limit)
        await self.jobs.wait(job, wait_s)
        return job

    async def get_job(self, app_id: str, job_id: str, wait_s: float = 0.0) -> Job:
        """The app's job (JobNotFound otherwise), after waiting up to ``wait_s`` for it to end."""
        job = self.jobs.get(app_id, job_id)
        await self.jobs.wait(job, wait_s)
        return job

    async def delete_job(self, app_id: str, job_id: str) -> None:
        """Forgets the app's job, cancelling it if it runs."""
        self.jobs.delete(app_id, job_id)

    async def verify(
        self, app_id: str, db_id: str, key: str, image: ImageInput, threshold: float | None
    ) -> Verification:
        """The largest face of ``image`` against every feature of ``key`` (see :class:`Verification`)."""
        return await self._people.verify(app_id, db_id, key, image, threshold)

    def _search(
        self, app_id: str, db_ids: Sequence[str], image: ImageInput, top_k: int, min_score: float
    ) -> SearchResult:
        known = {d.db_id: d for d in self._store.list_databases(app_id)}
        groups: dict[str, list[int]] = {}  # model_version -> positions in db_ids
        for i, db_id in enumerate(db_ids):
            db = known.get(db_id)
            groups.setdefault(db.model_version if db is not None else "", []).append(i)
        batches: list[list[ScoredHit] | fpe.FaceprintError] = [fpe.DatabaseNotFound()] * len(db_ids)
        maps: dict[str, tuple[PackSpec, ScoreMap]] = {}
        for mv, where in groups.items():
            if not mv:
                continue
            try:
                maps[mv] = self.pack_of(mv)
            except fpe.FaceprintError as e:
                for i in where:
                    batches[i] = e
        needed = list(dict.fromkeys(spec.name for spec, _ in maps.values())) or [self.default_pack.name]
        face, _ = self.engine.largest_face(image.source, image.rectangle, embed=True, attributes=True, packs=needed)
        for mv, where in groups.items():
            if mv not in maps and mv:
                continue
            spec, smap = maps.get(mv, (self.default_pack, self.default_pack.score_map))
            vector = face.embeddings.get(spec.name)
            if vector is None:
                raise fpe.InternalError("No descriptor was computed.")
            # A hair below the bound so float rounding never drops a hit whose score equals min_score; the
            # exact inclusive filter is re-applied on the score below.
            min_sim = smap.cosine(min_score) - 1e-6
            ids = [db_ids[i] for i in where]
            results = self._store.search(app_id, ids, vector, top_k, min_sim, mv or spec.model_version)
            for i, res in zip(where, results, strict=True):
                if isinstance(res, fpe.FaceprintError):
                    batches[i] = res
                    continue
                hits = [ScoredHit(h.feature, smap.score(h.similarity)) for h in res]
                batches[i] = [h for h in hits if h.score >= min_score][:top_k]
        return SearchResult(face, batches)
