"""The storage protocols every backend implements: :class:`TenantStore` (apps and access keys, what the
admin commands open, beside a running service) and :class:`FeatureStore` (feature databases, features,
search); a backend serves both as one :class:`Store`.

Vectors are L2-normalised float32 descriptors. Similarities inside the store are cosine similarities
(dot products of unit vectors, -1..1); the mapping to the API's 0..1 score lives in the engine
(``faceprint.engine.similarity``) and is applied by the service layer, so the store stays model-agnostic.

Every method that takes an ``app_id`` only ever sees that app's data: another app's ``db_id`` raises
:class:`~faceprint.errors.DatabaseNotFound`, exactly as an unknown one does.

Identifiers, the same in every backend: app and database ids are UUID4 strings in the 8-4-4-4-12 form (as
Mercury's). Feature ids are opaque strings that are never reused: UUID4 in the embedded store; the row's
64-bit sequence number in PostgreSQL, because every node keeps its own in-memory index keyed by that number
and syncs it from the table by ``(db_id, version)``: a UUID there would need a second id-to-row map per node.
Clients must not parse feature ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from faceprint.errors import FaceprintError

__all__ = [
    "MAX_TOP_K",
    "AccessKey",
    "App",
    "AppUsage",
    "Database",
    "Feature",
    "FeatureMatrix",
    "FeatureStore",
    "Hit",
    "NewFeature",
    "SearchResult",
    "Store",
    "TenantStore",
]

#: The largest ``top_k`` a search accepts; search is exact for every top_k up to this.
MAX_TOP_K = 1000


@dataclass(frozen=True, slots=True)
class App:
    app_id: str
    name: str
    #: Feature ids the app may reserve in total (sum of its databases' max_size).
    quota: int
    created_at: float


@dataclass(frozen=True, slots=True)
class AccessKey:
    access_key: str
    app_id: str
    #: The secret key sealed by the server key (see ``faceprint.secrets``); never the plain secret.
    sealed_secret: bytes
    created_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Database:
    db_id: str
    app_id: str
    name: str
    description: str
    max_size: int
    #: Features stored now.
    size: int
    #: The descriptor model version this database holds (e.g. "dlib-resnet-v1").
    model_version: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Feature:
    feature_id: str
    db_id: str
    key: str
    extra_info: str
    model_version: str
    created_at: float


@dataclass(frozen=True, slots=True)
class NewFeature:
    """One feature to add: its unit descriptor plus the user's key and extra_info."""

    vector: npt.NDArray[np.float32]
    key: str = ""
    extra_info: str = ""


@dataclass(frozen=True, slots=True)
class FeatureMatrix:
    """A database's features in bulk, oldest first: ``feature_ids[i]`` and ``keys[i]`` describe row ``i`` of
    ``vectors`` (n, dim) unit float32 (``(0, 0)`` when there are none)."""

    feature_ids: list[str]
    keys: list[str]
    vectors: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.feature_ids)


@dataclass(frozen=True, slots=True)
class Hit:
    feature: Feature
    #: Cosine similarity of unit vectors, -1..1.
    similarity: float


#: One search answer per requested db_id: the hits (sorted by similarity, descending) or the error that
#: failed that database alone (e.g. DatabaseNotFound).
SearchResult = list[Hit] | FaceprintError


@dataclass(frozen=True, slots=True)
class AppUsage:
    """What an app's databases hold of its quota."""

    databases: int
    #: Feature ids reserved: the sum of the databases' max_size.
    reserved: int


@runtime_checkable
class TenantStore(Protocol):
    """Apps and their access keys. Implementations are thread-safe."""

    def create_app(self, name: str, quota: int, app_id: str | None = None) -> App:
        """A new app (``app_id``: a new unique id when None). Raises InvalidRequest if app_id exists."""
        ...

    def get_app(self, app_id: str) -> App:
        """Raises AppNotFound."""
        ...

    def list_apps(self) -> list[App]:
        """Every app, oldest first."""
        ...

    def add_key(self, app_id: str, access_key: str, sealed_secret: bytes) -> AccessKey:
        """Raises AppNotFound, TooManyKeys (more than 2 active), InvalidRequest (access_key exists)."""
        ...

    def get_key(self, access_key: str) -> AccessKey | None:
        """The key (active or revoked) or None."""
        ...

    def list_keys(self, app_id: str) -> list[AccessKey]:
        """The app's keys, active and revoked, oldest first; empty for an unknown app."""
        ...

    def revoke_key(self, access_key: str) -> None:
        """Marks the key revoked (revoking twice keeps the first time). Raises AccessKeyNotFound."""
        ...

    def app_usage(self, app_id: str) -> AppUsage:
        """The app's databases and reserved feature ids (zero for an unknown app)."""
        ...

    def close(self) -> None:
        """Releases the backend's resources (idempotent)."""
        ...


@runtime_checkable
class FeatureStore(Protocol):
    """Feature databases, features and search. Implementations are thread-safe."""

    def create_database(
        self, app_id: str, name: str, description: str, max_size: int, model_version: str
    ) -> Database:
        """Raises AppNotFound, QuotaExceeded (max_size over what the app has left)."""
        ...

    def list_databases(self, app_id: str) -> list[Database]:
        """The app's databases, oldest first; empty for an unknown app."""
        ...

    def get_database(self, app_id: str, db_id: str) -> Database:
        """Raises DatabaseNotFound (also for another app's db_id)."""
        ...

    def delete_database(self, app_id: str, db_id: str) -> None:
        """Deletes the database and all its features; frees its quota. Raises DatabaseNotFound."""
        ...

    # -- features ------------------------------------------------------------------------------
    def add_features(
        self, app_id: str, db_id: str, items: Sequence[NewFeature], model_version: str
    ) -> list[Feature | FaceprintError]:
        """Adds each item; one answer per item, in order. An item beyond max_size gets DatabaseFull
        (the others still go in). Raises DatabaseNotFound for the whole call, ModelVersionMismatch
        when model_version differs from the database's, InvalidRequest when a vector is not finite values
        of the database's dimension or is zero. Every returned Feature is durable. Each item becomes a new
        feature with a new, never reused feature_id (the same vector twice gives two features; keys need not
        be unique)."""
        ...

    def get_feature(self, app_id: str, db_id: str, feature_id: str) -> Feature:
        """Raises DatabaseNotFound, FeatureNotFound."""
        ...

    def delete_feature(self, app_id: str, db_id: str, feature_id: str) -> None:
        """Raises DatabaseNotFound, FeatureNotFound."""
        ...

    def list_features(
        self, app_id: str, db_id: str, offset: int, limit: int, key: str | None = None
    ) -> list[Feature]:
        """The database's features in the order they were added, from the ``offset``-th, at most ``limit``;
        with ``key`` only those with that key. Raises DatabaseNotFound (also for another app's db_id)."""
        ...

    def update_extra_info(self, app_id: str, db_id: str, feature_id: str, extra_info: str) -> Feature:
        """Raises DatabaseNotFound, FeatureNotFound."""
        ...

    def export_features(self, app_id: str, db_id: str, key: str | None = None) -> FeatureMatrix:
        """Every feature of the database (only those with ``key`` when it is given), oldest first, with its
        descriptor: what clustering and verification against a key read. Raises DatabaseNotFound."""
        ...

    # -- search --------------------------------------------------------------------------------
    def search(
        self,
        app_id: str,
        db_ids: Sequence[str],
        vector: npt.NDArray[np.float32],
        top_k: int,
        min_similarity: float,
        model_version: str,
    ) -> list[SearchResult]:
        """For each db_id, the hits with ``similarity >= min_similarity``, best first, at most top_k
        (``1 <= top_k <= MAX_TOP_K``, else BadTopK). Exact (as a float32 brute force; near-ties within
        float32 rounding may come in either order). A db_id that is unknown (or another app's) yields
        DatabaseNotFound in its own slot; a database of another model version yields
        ModelVersionMismatch in its slot."""
        ...

    def close(self) -> None:
        """Releases the backend's resources (idempotent)."""
        ...


@runtime_checkable
class Store(TenantStore, FeatureStore, Protocol):
    """A backend serving both: what the service opens."""

