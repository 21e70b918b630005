"""The service layer between the HTTP API and the engine + store: limits, order of checks, score mapping.

Every method is blocking; the API runs engine work in its inference pool and store work in worker threads.
All methods take the authenticated ``app_id``: a database of another app behaves as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faceprint import errors as fpe
from faceprint.engine.similarity import score_from_similarity, similarity_from_score
from faceprint.engine.types import Box, Face
from faceprint.settings import Settings
from faceprint.storage.base import Database, Feature, FeatureStore, NewFeature

if TYPE_CHECKING:
    from faceprint.engine.engine import Comparison, Engine, ImageFaces, QualityReport
    from faceprint.engine.processes import EngineProcesses

__all__ = [
    "AddedItem",
    "FaceService",
    "ImageInput",
    "ScoredHit",
    "feature_version",
]

#: An image as the API receives it: base64 text and an optional region.
ImageInput = tuple[str, Box | None]

#: Descriptor model version -> the integer ``feature_version`` the API shows.
_FEATURE_VERSIONS = {"dlib-resnet-v1": 1}


def feature_version(model_version: str) -> int:
    """The API's integer ``feature_version`` of a descriptor model version (0 if unknown)."""
    return _FEATURE_VERSIONS.get(model_version, 0)


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


class FaceService:
    """Faceprint's use cases over one engine and one store."""

    def __init__(self, engine: Engine | EngineProcesses | None, store: FeatureStore, settings: Settings) -> None:
        self._engine = engine
        self.store = store
        self.settings = settings

    @property
    def engine(self) -> Engine | EngineProcesses:
        if self._engine is None:
            raise fpe.ModelMissing("The face engine is not loaded.")
        return self._engine

    # -- limits ----------------------------------------------------------------------------------
    def check_image_count(self, n: int) -> None:
        """NoImages for 0, TooManyImages above ``settings.max_images``; before any image is decoded."""
        if n == 0:
            raise fpe.NoImages()
        if n > self.settings.max_images:
            raise fpe.TooManyImages(f"At most {self.settings.max_images} images per request.")

    # -- images ----------------------------------------------------------------------------------
    def detect_one(self, image: ImageInput) -> ImageFaces:
        """Every face of one image (decision 5: no face is ``faces: []``, not an error)."""
        return self.engine.detect(image[0], image[1], embed=False, attributes=True)

    def compare(self, one: ImageInput, another: ImageInput) -> Comparison:
        return self.engine.compare(one[0], another[0], one[1], another[1])

    def quality(self, image: ImageInput) -> QualityReport:
        return self.engine.quality(image[0], image[1])

    # -- databases -------------------------------------------------------------------------------
    def create_database(self, app_id: str, name: str, description: str, max_size: int) -> Database:
        return self.store.create_database(app_id, name, description, max_size, self.model_version)

    @property
    def model_version(self) -> str:
        if self._engine is not None:
            return self._engine.model_version
        from faceprint.engine.similarity import MODEL_VERSION

        return MODEL_VERSION

    # -- features --------------------------------------------------------------------------------
    def add_features(
        self, app_id: str, db_id: str, items: Sequence[tuple[ImageInput, str, str]]
    ) -> list[AddedItem]:
        """Largest face of each image -> one feature. The database is checked before any inference;
        per-item failures (bad image, no face, database full) fail only their item. (The API runs the
        same three steps with the embedding split over its inference pool.)"""
        self.store.get_database(app_id, db_id)
        embedded = self.embed_images([img for img, _, _ in items])
        return self.store_features(app_id, db_id, items, embedded)

    def embed_images(self, images: Sequence[ImageInput]) -> list[tuple[Face, ImageFaces] | fpe.FaceprintError]:
        """The largest face of each image with its descriptor, or the image's error, in order."""
        return list(self.engine.embed_many(list(images), attributes=self.settings.add_attributes))

    def store_features(
        self, app_id: str, db_id: str, items: Sequence[tuple[ImageInput, str, str]],
        embedded: Sequence[tuple[Face, ImageFaces] | fpe.FaceprintError],
    ) -> list[AddedItem]:
        """Store the items whose face was embedded, in one store call; one answer per item, in order."""
        out: list[AddedItem | None] = [None] * len(items)
        to_store: list[tuple[int, Face, NewFeature]] = []
        for i, ((_, key, extra), res) in enumerate(zip(items, embedded, strict=True)):
            if isinstance(res, fpe.FaceprintError):
                out[i] = AddedItem(key, extra, error=res)
                continue
            face = res[0]
            if face.embedding is None:
                out[i] = AddedItem(key, extra, error=fpe.InternalError("No descriptor was computed."))
                continue
            to_store.append((i, face, NewFeature(face.embedding, key, extra)))
        if to_store:
            stored = self.store.add_features(app_id, db_id, [nf for _, _, nf in to_store], self.model_version)
            for (i, face, nf), res2 in zip(to_store, stored, strict=True):
                if isinstance(res2, fpe.FaceprintError):
                    out[i] = AddedItem(nf.key, nf.extra_info, error=res2)
                else:
                    out[i] = AddedItem(nf.key, nf.extra_info, feature=res2, face=face)
        return [o for o in out if o is not None]

    def search(
        self, app_id: str, db_ids: Sequence[str], image: ImageInput, top_k: int, min_score: float
    ) -> tuple[Face, list[list[ScoredHit] | fpe.FaceprintError]]:
        """Largest face of ``image`` against each database: hits with score >= min_score, best first,
        at most top_k. NoFace fails the whole request; an unknown db_id fails its own batch."""
        face, _ = self.engine.largest_face(image[0], image[1], embed=True, attributes=True)
        if face.embedding is None:
            raise fpe.InternalError("No descriptor was computed.")
        # A hair below the bound so float rounding never drops a hit whose score equals min_score; the
        # exact inclusive filter is re-applied on the score below.
        min_sim = similarity_from_score(min_score) - 1e-6
        results = self.store.search(app_id, db_ids, face.embedding, top_k, min_sim, self.model_version)
        batches: list[list[ScoredHit] | fpe.FaceprintError] = []
        for res in results:
            if isinstance(res, fpe.FaceprintError):
                batches.append(res)
                continue
            hits = [ScoredHit(h.feature, score_from_similarity(h.similarity)) for h in res]
            batches.append([h for h in hits if h.score >= min_score][:top_k])
        return face, batches
