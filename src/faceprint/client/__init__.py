"""The Faceprint SDK: typed, signed calls to any Mercury-compatible face API (Faceprint or Mercury Cloud).

    from faceprint.client import Client

    with Client("http://127.0.0.1:8866/openapi/face/v1", app_id, access_key, secret_key) as fp:
        print(fp.compare("a.jpg", "b.jpg").score)            # 0..1, higher: more likely the same person
        db = fp.create_database("staff", max_size=1000)
        fp.add_features(db.db_id, [("alice.jpg", "alice"), ("bob.jpg", "bob")])
        best = fp.search("probe.jpg", db.db_id, top_k=1, min_score=0.8).hits

:class:`AsyncClient` has the same methods, awaited. Errors raise :class:`ApiError` subclasses that are
also the :mod:`faceprint.errors` class of the server's ``internal_code`` (``except DatabaseNotFound``).
"""

from faceprint.client._async import AsyncClient
from faceprint.client._calls import FeatureInput, NewFeature
from faceprint.client._errors import ApiError, AuthenticationError, TransportError, error_type
from faceprint.client._images import ImageInput, RectangleInput, encode_image
from faceprint.client._models import (
    Ack,
    AddFeaturesResponse,
    Angle,
    Comparison,
    Database,
    DatabaseList,
    DetectResponse,
    Face,
    FaceBatch,
    Feature,
    FeatureInfo,
    FeaturePage,
    PersonHit,
    Point,
    QualityFace,
    QualityResult,
    RecognizerInfo,
    Rectangle,
    SearchBatch,
    SearchHit,
    SearchResponse,
    Status,
    SystemInfo,
)
from faceprint.client._people_models import (
    Cluster,
    ClusterMember,
    ClusterResult,
    DuplicatePair,
    DuplicatesResult,
    Job,
    Verification,
)
from faceprint.client._sync import Client

__all__ = [
    "Ack",
    "AddFeaturesResponse",
    "Angle",
    "ApiError",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "Cluster",
    "ClusterMember",
    "ClusterResult",
    "Comparison",
    "Database",
    "DatabaseList",
    "DetectResponse",
    "DuplicatePair",
    "DuplicatesResult",
    "Face",
    "FaceBatch",
    "Feature",
    "FeatureInfo",
    "FeatureInput",
    "FeaturePage",
    "ImageInput",
    "Job",
    "NewFeature",
    "PersonHit",
    "Point",
    "QualityFace",
    "QualityResult",
    "RecognizerInfo",
    "Rectangle",
    "RectangleInput",
    "SearchBatch",
    "SearchHit",
    "SearchResponse",
    "Status",
    "SystemInfo",
    "TransportError",
    "Verification",
    "encode_image",
    "error_type",
]
