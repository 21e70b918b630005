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
from faceprint.service._offload import Offload

__all__ = [
    "AddedItem",
    "FaceService",
    "NewItem",
    "Offload",
    "ScoredHit",
    "SearchResult",
    "SystemInfo",
    "feature_version",
]
