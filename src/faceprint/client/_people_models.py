"""Typed answers of Faceprint's person-level extensions: jobs (clustering, duplicates) and verification
against a key. Lenient like :mod:`faceprint.client._models`; ``raw`` keeps the decoded JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faceprint.client._models import Face, Status, _dict, _float, _int, _list, _str

__all__ = ["Cluster", "ClusterMember", "ClusterResult", "DuplicatePair", "DuplicatesResult", "Job", "Verification"]


@dataclass(frozen=True, slots=True)
class ClusterMember:
    feature_id: str
    key: str

    @classmethod
    def from_wire(cls, d: Any) -> ClusterMember:
        d = _dict(d)
        return cls(_str(d.get("feature_id")), _str(d.get("key")))


@dataclass(frozen=True, slots=True)
class Cluster:
    """Features taken for one person; ``keys``: each key among them with its count, commonest first;
    ``cohesion``: the score of their mean pairwise similarity."""

    features: list[ClusterMember]
    keys: dict[str, int]
    cohesion: float

    @property
    def size(self) -> int:
        return len(self.features)


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """Clusters of two or more features, largest first; ``alone``: features matching nobody."""

    threshold: float
    features: int
    seconds: float
    clusters: list[Cluster]
    alone: list[ClusterMember]

    @classmethod
    def from_wire(cls, d: Any) -> ClusterResult:
        d = _dict(d)
        clusters = [
            Cluster([ClusterMember.from_wire(m) for m in _list(_dict(c).get("features"))],
                    {str(k): _int(v) for k, v in _dict(_dict(c).get("keys")).items()}, _float(_dict(c).get("cohesion")))
            for c in _list(d.get("clusters"))
        ]
        return cls(_float(d.get("threshold")), _int(d.get("features")), _float(d.get("seconds")), clusters,
                   [ClusterMember.from_wire(m) for m in _list(d.get("alone"))])


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """``kind``: ``same_photo`` (one photo enrolled twice) or ``same_person`` (two keys, one person)."""

    kind: str
    score: float
    a: ClusterMember
    b: ClusterMember


@dataclass(frozen=True, slots=True)
class DuplicatesResult:
    threshold: float
    same_photo_score: float
    features: int
    #: Pairs found in all; ``pairs`` lists the best ``limit``.
    found: int
    seconds: float
    pairs: list[DuplicatePair]

    @classmethod
    def from_wire(cls, d: Any) -> DuplicatesResult:
        d = _dict(d)
        pairs = [
            DuplicatePair(_str(_dict(p).get("kind")), _float(_dict(p).get("score")),
                          ClusterMember.from_wire(_dict(p).get("a")), ClusterMember.from_wire(_dict(p).get("b")))
            for p in _list(d.get("pairs"))
        ]
        return cls(_float(d.get("threshold")), _float(d.get("same_photo_score")), _int(d.get("features")),
                   _int(d.get("found")), _float(d.get("seconds")), pairs)


@dataclass(frozen=True, slots=True)
class Job:
    """A background job: ``status`` running, done, failed (``error``) or cancelled; ``progress`` 0..1;
    ``cluster`` or ``duplicates`` once done."""

    trace_id: str
    job_id: str
    kind: str
    db_id: str
    status: str
    progress: float
    created_at: float
    finished_at: float
    error: Status | None = None
    cluster: ClusterResult | None = None
    duplicates: DuplicatesResult | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self.status != "running"

    def outcome(self) -> ClusterResult | DuplicatesResult | None:
        """The job's answer once done (None while it runs); a failed job raises its error, a cancelled one
        JobNotFound."""
        from faceprint.client._errors import error_type

        if self.status == "failed":
            raise (self.error or Status(13, "The job failed.", 5000)).to_error(self.trace_id)
        if self.status == "cancelled":
            raise error_type(5, 2008)("The job was cancelled.", trace_id=self.trace_id)
        return self.cluster or self.duplicates if self.done else None

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Job:
        err = d.get("error")
        return cls(
            _str(d.get("trace_id")), _str(d.get("job_id")), _str(d.get("kind")), _str(d.get("db_id")),
            _str(d.get("status")), _float(d.get("progress")), _float(d.get("created_at")),
            _float(d.get("finished_at")), Status.from_wire(err) if isinstance(err, dict) else None,
            ClusterResult.from_wire(d["cluster"]) if isinstance(d.get("cluster"), dict) else None,
            DuplicatesResult.from_wire(d["duplicates"]) if isinstance(d.get("duplicates"), dict) else None,
            raw=d,
        )


@dataclass(frozen=True, slots=True)
class Verification:
    """A face against every feature of ``key``: ``score`` (of the mean similarity; the decision's),
    ``best_score``, features compared and matched, ``same_person`` at ``threshold``."""

    trace_id: str
    key: str
    features: int
    score: float
    best_score: float
    matched: int
    threshold: float
    same_person: bool
    face: Face | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> Verification:
        face = Face.from_wire(d["face"]) if isinstance(d.get("face"), dict) else None
        return cls(_str(d.get("trace_id")), _str(d.get("key")), _int(d.get("features")), _float(d.get("score")),
                   _float(d.get("best_score")), _int(d.get("matched")), _float(d.get("threshold")),
                   d.get("same_person") is True, face, raw=d)
