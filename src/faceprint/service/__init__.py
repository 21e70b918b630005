"""Faceprint's use cases: the one typed seam every front (the HTTP API) goes through."""

from faceprint.service._face_service import (
    AddedItem,
    FaceService,
    NewItem,
    ScoredHit,
    SearchResult,
    SystemInfo,
    feature_version,
)
from faceprint.service._jobs import Job
from faceprint.service._offload import Offload
from faceprint.service._people import (
    DEFAULT_THRESHOLD,
    MAX_PAIRS,
    SAME_PHOTO_SCORE,
    ClusterReport,
    DuplicatesReport,
    Member,
    PersonCluster,
    PersonHit,
    ScoredPair,
    Verification,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_PAIRS",
    "SAME_PHOTO_SCORE",
    "AddedItem",
    "ClusterReport",
    "DuplicatesReport",
    "FaceService",
    "Job",
    "Member",
    "NewItem",
    "Offload",
    "PersonCluster",
    "PersonHit",
    "ScoredHit",
    "ScoredPair",
    "SearchResult",
    "SystemInfo",
    "Verification",
    "feature_version",
]
