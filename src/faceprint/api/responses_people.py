"""Response bodies of Faceprint's person-level extensions (clustering, duplicates, jobs, verify against a key),
built like those of :mod:`faceprint.api.responses` by ``of`` class methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from faceprint.api.responses import FACE_EXAMPLE, TRACE, FaceOut, Status, _ex, _num

if TYPE_CHECKING:
    from faceprint.service import ClusterReport, DuplicatesReport, Job, Member, ScoredPair, Verification

__all__ = [
    "ClusterGroup",
    "ClusterOut",
    "DuplicatesOut",
    "JobResponse",
    "MemberOut",
    "PairOut",
    "VerifyResponse",
]


class MemberOut(BaseModel):
    feature_id: str
    key: str

    @classmethod
    def of(cls, m: Member) -> MemberOut:
        return cls(feature_id=m.feature_id, key=m.key)


class ClusterGroup(BaseModel):
    size: int
    cohesion: float = Field(description="Score of the members' mean pairwise similarity.")
    keys: dict[str, int] = Field(description="Each key among the members with its count, commonest first.")
    features: list[MemberOut]


class ClusterOut(BaseModel):
    """People found in a database: clusters of two or more features, largest first (ties: the one with the
    oldest feature first), and the features left alone."""

    threshold: float
    features: int = Field(description="Features clustered.")
    seconds: float
    clusters: list[ClusterGroup]
    alone: list[MemberOut]

    @classmethod
    def of(cls, r: ClusterReport) -> ClusterOut:
        groups = []
        for c in r.clusters:
            counts: dict[str, int] = {}
            for m in c.members:
                counts[m.key] = counts.get(m.key, 0) + 1
            keys = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
            groups.append(ClusterGroup(size=len(c.members), cohesion=c.cohesion, keys=keys,
                                       features=[MemberOut.of(m) for m in c.members]))
        return cls(threshold=r.threshold, features=r.features, seconds=_num(r.seconds, 3), clusters=groups,
                   alone=[MemberOut.of(m) for m in r.alone])


class PairOut(BaseModel):
    kind: str = Field(description="`same_photo` (near-identical: one photo enrolled twice) or `same_person` "
                      "(two different keys at the threshold).")
    score: float
    a: MemberOut
    b: MemberOut

    @classmethod
    def of(cls, p: ScoredPair) -> PairOut:
        return cls(kind=p.kind, score=p.score, a=MemberOut.of(p.a), b=MemberOut.of(p.b))


class DuplicatesOut(BaseModel):
    threshold: float
    same_photo_score: float
    features: int
    found: int = Field(description="Pairs found; `pairs` lists the best `limit` of them.")
    seconds: float
    pairs: list[PairOut]

    @classmethod
    def of(cls, r: DuplicatesReport) -> DuplicatesOut:
        return cls(threshold=r.threshold, same_photo_score=r.same_photo_score, features=r.features, found=r.found,
                   seconds=_num(r.seconds, 3), pairs=[PairOut.of(p) for p in r.pairs])


class JobResponse(BaseModel):
    """Faceprint extension: a background job (clustering, duplicates) and, once done, its answer."""

    model_config = _ex({"trace_id": TRACE, "job_id": "5b0c6f0e0f9a4c7e9d1e2f3a4b5c6d7e", "kind": "cluster",
                        "db_id": "91309912-cbcf-4985-be08-552363ed6000", "status": "running", "progress": 0.42,
                        "created_at": 1764900000.0, "finished_at": 0.0, "error": None})
    trace_id: str
    job_id: str
    kind: str = Field(description="`cluster` or `duplicates`.")
    db_id: str
    status: str = Field(description="`running`, `done`, `failed` (see `error`) or `cancelled`.")
    progress: float = Field(description="Fraction done, 0..1.")
    created_at: float = Field(description="Unix time.")
    finished_at: float = Field(description="Unix time; 0 while running.")
    error: Status | None = None
    cluster: ClusterOut | None = None
    duplicates: DuplicatesOut | None = None

    @classmethod
    def of(cls, job: Job, trace_id: str) -> JobResponse:
        from faceprint.service import ClusterReport, DuplicatesReport

        res = job.result
        return cls(
            trace_id=trace_id, job_id=job.job_id, kind=job.kind, db_id=job.db_id, status=job.status,
            progress=_num(job.progress, 3), created_at=job.created_at, finished_at=job.finished_at or 0.0,
            error=None if job.error is None else Status.of(job.error),
            cluster=ClusterOut.of(res) if isinstance(res, ClusterReport) else None,
            duplicates=DuplicatesOut.of(res) if isinstance(res, DuplicatesReport) else None,
        )


class VerifyResponse(BaseModel):
    """Faceprint extension: a face against every feature of one key."""

    model_config = _ex({"trace_id": TRACE, "key": "emp-000123", "features": 3, "score": 0.9871, "best_score": 0.9934,
                        "matched": 3, "threshold": 0.955, "same_person": True, "face": FACE_EXAMPLE})
    trace_id: str
    key: str
    features: int = Field(description="The key's features compared.")
    score: float = Field(description="Score of the face's mean similarity to the key's features: the decision's.")
    best_score: float = Field(description="The best single feature's score.")
    matched: int = Field(description="Features scoring >= threshold.")
    threshold: float
    same_person: bool = Field(description="score >= threshold.")
    face: FaceOut

    @classmethod
    def of(cls, v: Verification, trace_id: str) -> VerifyResponse:
        return cls(trace_id=trace_id, key=v.key, features=v.features, score=v.score, best_score=v.best_score,
                   matched=v.matched, threshold=v.threshold, same_person=v.same_person, face=FaceOut.of(v.face))
