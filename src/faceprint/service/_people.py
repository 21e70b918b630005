"""Person-level use cases of the FaceService: clustering a database into people, duplicates, verification
of a photo against every feature of a key, and search hits grouped by key.

Scores are the database's calibrated scores (its recogniser pack's score map): a threshold is given as a
score and turned into that pack's cosine before the numerics of :mod:`faceprint.identity` run, and cosines
come back as scores. The default threshold is the documented same-person score (FAR 1e-3, 0.955).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faceprint import errors as fpe
from faceprint import identity
from faceprint.engine.recognizers.packs import PackSpec, ScoreMap
from faceprint.engine.similarity import DEFAULT_THRESHOLD
from faceprint.engine.types import Face, ImageInput
from faceprint.service._jobs import Job, JobRegistry
from faceprint.storage.base import Database, Feature, FeatureMatrix, Store

if TYPE_CHECKING:
    from faceprint.engine.protocol import FaceEngine
    from faceprint.service._offload import Offload

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_PAIRS",
    "SAME_PHOTO_SCORE",
    "ClusterReport",
    "DuplicatesReport",
    "Member",
    "People",
    "PersonCluster",
    "PersonHit",
    "ScoredPair",
    "Verification",
]

#: From this score on, two features are taken for the same photo enrolled twice.
SAME_PHOTO_SCORE = 0.995
#: The most duplicate pairs one answer lists.
MAX_PAIRS = 10_000


@dataclass(frozen=True, slots=True)
class Member:
    feature_id: str
    key: str


@dataclass(frozen=True, slots=True)
class PersonCluster:
    """Features taken for one person; ``cohesion``: the score of their mean pairwise cosine."""

    members: list[Member]
    cohesion: float


@dataclass(frozen=True, slots=True)
class ClusterReport:
    db_id: str
    threshold: float
    features: int
    clusters: list[PersonCluster]
    alone: list[Member]
    seconds: float


@dataclass(frozen=True, slots=True)
class ScoredPair:
    a: Member
    b: Member
    score: float
    #: ``same_photo`` or ``same_person``.
    kind: str


@dataclass(frozen=True, slots=True)
class DuplicatesReport:
    db_id: str
    threshold: float
    same_photo_score: float
    features: int
    #: Pairs found in all (``pairs`` holds at most the asked limit, best first).
    found: int
    pairs: list[ScoredPair]
    seconds: float


@dataclass(frozen=True, slots=True)
class Verification:
    """A probe face against the ``features`` features of ``key``: ``score`` (the score of the mean cosine,
    what ``same_person`` rests on), the best single score, and how many features reach the threshold."""

    key: str
    features: int
    score: float
    best_score: float
    matched: int
    threshold: float
    same_person: bool
    face: Face


@dataclass(frozen=True, slots=True)
class PersonHit:
    """One key among a search's hits: its best hit, the mean score of its hits, how many matched."""

    key: str
    best: Feature
    best_score: float
    mean_score: float
    matched: int


def check_threshold(value: float | None, default: float = DEFAULT_THRESHOLD) -> float:
    if value is None:
        return default
    if not 0.0 <= value <= 1.0:
        raise fpe.BadThreshold()
    return float(value)


class People:
    """The person-level use cases over one store, engine and job registry (the FaceService owns one)."""

    def __init__(
        self, store: Store, offload: Offload, jobs: JobRegistry,
        engine: Callable[[], FaceEngine], pack_of: Callable[[str], tuple[PackSpec, ScoreMap]],
    ) -> None:
        self._store = store
        self._offload = offload
        self.jobs = jobs
        self._engine = engine
        self._pack_of = pack_of

    async def _database(self, app_id: str, db_id: str) -> tuple[Database, ScoreMap]:
        db = await self._offload.store(self._store.get_database, app_id, db_id)
        return db, self._pack_of(db.model_version)[1]

    # -- clustering and duplicates (jobs) --------------------------------------------------------
    async def start_cluster(self, app_id: str, db_id: str, threshold: float | None) -> Job:
        """Starts clustering the database (DatabaseNotFound, ModelVersionMismatch, TooManyJobs first)."""
        t = check_threshold(threshold)
        db, smap = await self._database(app_id, db_id)

        def work(progress: Callable[[float], None]) -> ClusterReport:
            t0 = time.perf_counter()
            m = self._store.export_features(app_id, db.db_id)
            progress(0.02)
            if len(m) < 2:
                return ClusterReport(db.db_id, t, len(m), [], _members(m, range(len(m))), time.perf_counter() - t0)
            c = identity.cluster(m.vectors, smap.cosine(t), progress=lambda f: progress(0.02 + 0.98 * f))
            clusters = [
                PersonCluster(_members(m, rows), round(smap.score(coh), 7))
                for rows, coh in zip(c.clusters, c.cohesion, strict=True)
            ]
            return ClusterReport(db.db_id, t, len(m), clusters, _members(m, c.alone), time.perf_counter() - t0)

        return self.jobs.start(app_id, "cluster", db.db_id, work)

    async def start_duplicates(
        self, app_id: str, db_id: str, threshold: float | None, same_photo_score: float | None, limit: int,
    ) -> Job:
        """Starts the duplicate search: pairs of one photo enrolled twice (score >= same_photo_score) and of
        one person under two keys (score >= threshold)."""
        t = check_threshold(threshold)
        photo = check_threshold(same_photo_score, SAME_PHOTO_SCORE)
        if not 1 <= limit <= MAX_PAIRS:
            raise fpe.InvalidRequest(f"limit must be between 1 and {MAX_PAIRS}")
        db, smap = await self._database(app_id, db_id)

        def work(progress: Callable[[float], None]) -> DuplicatesReport:
            t0 = time.perf_counter()
            m = self._store.export_features(app_id, db.db_id)
            pairs: list[ScoredPair] = []
            found = 0
            if len(m) >= 2:
                got, found = identity.find_duplicates(
                    m.vectors, m.keys, smap.cosine(t), smap.cosine(photo), limit, progress=progress
                )
                pairs = [
                    ScoredPair(_member(m, p.a), _member(m, p.b), round(smap.score(p.similarity), 7), p.kind)
                    for p in got
                ]
            return DuplicatesReport(db.db_id, t, photo, len(m), found, pairs, time.perf_counter() - t0)

        return self.jobs.start(app_id, "duplicates", db.db_id, work)

    # -- verify against a key --------------------------------------------------------------------
    async def verify(
        self, app_id: str, db_id: str, key: str, image: ImageInput, threshold: float | None,
    ) -> Verification:
        """The largest face of ``image`` against every feature of ``key`` in the database: DatabaseNotFound,
        KeyNotFound (no feature has the key), NoFace."""
        t = check_threshold(threshold)
        db, smap = await self._database(app_id, db_id)
        spec, _ = self._pack_of(db.model_version)
        m = await self._offload.store(self._store.export_features, app_id, db.db_id, key)
        if not len(m):
            raise fpe.KeyNotFound(f"No feature of the database has the key {key!r}.")
        with self._offload.admit(1, app_id) as ticket:
            face, _ = await self._offload.run(
                ticket, self._engine().largest_face, image.source, image.rectangle, embed=True, attributes=True,
                packs=[spec.name],
            )
        vector = face.embeddings.get(spec.name)
        if vector is None:
            raise fpe.InternalError("No descriptor was computed.")
        got = identity.match_key(vector, m.vectors, smap.cosine(t))
        score = smap.score(got.mean)
        return Verification(
            key, got.count, round(score, 7), round(smap.score(got.best), 7), got.matched, t, score >= t, face
        )


def _member(m: FeatureMatrix, row: int) -> Member:
    return Member(m.feature_ids[row], m.keys[row])


def _members(m: FeatureMatrix, rows: range | list[int]) -> list[Member]:
    return [Member(m.feature_ids[r], m.keys[r]) for r in rows]
