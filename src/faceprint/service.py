"""The service layer between the HTTP API and the engine + store: limits, order of checks, score mapping.

Every method is blocking; the API runs engine work in its inference pool and store work in worker threads.
All methods take the authenticated ``app_id``: a database of another app behaves as unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faceprint import errors as fpe
from faceprint.engine.recognizers.packs import PackSpec, ScoreMap, load_packs, parse_model_version, resolve_pack
from faceprint.engine.types import Box, Face
from faceprint.settings import Settings
from faceprint.storage.base import Database, Feature, FeatureStore, NewFeature

if TYPE_CHECKING:
    from faceprint.engine.engine import Comparison, ImageFaces, QualityReport
    from faceprint.engine.protocol import FaceEngine

__all__ = [
    "AddedItem",
    "FaceService",
    "ImageInput",
    "ScoredHit",
    "feature_version",
]

#: An image as the API receives it: base64 text and an optional region.
ImageInput = tuple[str, Box | None]


def feature_version(packs: dict[str, PackSpec], model_version: str) -> int:
    """The API's integer ``feature_version`` of a database's model version (0 if its pack is unknown here)."""
    spec = packs.get(parse_model_version(model_version)[0])
    return 0 if spec is None else spec.feature_version


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

    def __init__(self, engine: FaceEngine | None, store: FeatureStore, settings: Settings) -> None:
        self._engine = engine
        self.store = store
        self.settings = settings
        #: Every recogniser pack this server knows, by name.
        self.packs: dict[str, PackSpec] = engine.packs if engine is not None else load_packs(settings.model_dir)
        #: Whether the models are loaded (readiness).
        self.ready = engine is not None
        #: The pack of new databases and of compare.
        self.default_pack: PackSpec = resolve_pack(self.packs, settings.recognizer)

    @property
    def engine(self) -> FaceEngine:
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
        """The score of the two largest faces by the default recogniser (``settings.recognizer``)."""
        return self.engine.compare(one[0], another[0], one[1], another[1], pack=self.default_pack.name)

    def quality(self, image: ImageInput) -> QualityReport:
        return self.engine.quality(image[0], image[1])

    # -- databases -------------------------------------------------------------------------------
    def create_database(
        self, app_id: str, name: str, description: str, max_size: int, feature_version: int | None = None
    ) -> Database:
        """A database whose features come from the recogniser with ``feature_version`` (None: the default
        pack), scored by that pack's current calibration for as long as the database lives."""
        spec = self.default_pack if feature_version is None else resolve_pack(self.packs, str(feature_version))
        return self.store.create_database(app_id, name, description, max_size, spec.model_version)

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

    # -- features --------------------------------------------------------------------------------
    def add_features(
        self, app_id: str, db_id: str, items: Sequence[tuple[ImageInput, str, str]]
    ) -> list[AddedItem]:
        """Largest face of each image -> one feature. The database is checked before any inference;
        per-item failures (bad image, no face, database full) fail only their item. (The API runs the
        same three steps with the embedding split over its inference pool.)"""
        db = self.store.get_database(app_id, db_id)
        embedded = self.embed_images([img for img, _, _ in items], db.model_version)
        return self.store_features(app_id, db, items, embedded)

    def embed_images(
        self, images: Sequence[ImageInput], model_version: str
    ) -> list[tuple[Face, ImageFaces] | fpe.FaceprintError]:
        """The largest face of each image with its descriptor by the recogniser of a database's
        ``model_version``, or the image's error, in order."""
        spec, _ = self.pack_of(model_version)
        return list(self.engine.embed_many(list(images), attributes=self.settings.add_attributes,
                                           packs=[spec.name]))

    def store_features(
        self, app_id: str, db: Database, items: Sequence[tuple[ImageInput, str, str]],
        embedded: Sequence[tuple[Face, ImageFaces] | fpe.FaceprintError],
    ) -> list[AddedItem]:
        """Store the items whose face was embedded, in one store call; one answer per item, in order."""
        db_id = db.db_id
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
            stored = self.store.add_features(app_id, db_id, [nf for _, _, nf in to_store], db.model_version)
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
        at most top_k. NoFace fails the whole request; an unknown db_id fails its own batch.

        Databases of different recognisers are searched together: the probe's descriptor is computed once
        per pack needed, and each database scores by its own pack's calibration."""
        known = {d.db_id: d for d in self.store.list_databases(app_id)}
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
        face, _ = self.engine.largest_face(image[0], image[1], embed=True, attributes=True, packs=needed)
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
            results = self.store.search(app_id, ids, vector, top_k, min_sim, mv or spec.model_version)
            for i, res in zip(where, results, strict=True):
                if isinstance(res, fpe.FaceprintError):
                    batches[i] = res
                    continue
                hits = [ScoredHit(h.feature, smap.score(h.similarity)) for h in res]
                batches[i] = [h for h in hits if h.score >= min_score][:top_k]
        return face, batches
