"""A small in-memory FeatureStore used ONLY while the embedded store (faceprint.storage.factory) is absent
from the checkout; the fixtures prefer the real store as soon as it exists."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from faceprint import errors as fpe
from faceprint.storage.base import AccessKey, App, Database, FaceprintError, Feature, Hit, NewFeature, SearchResult


class MemoryStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.apps: dict[str, App] = {}
        self.keys: dict[str, AccessKey] = {}
        self.dbs: dict[str, Database] = {}
        self.features: dict[str, dict[str, tuple[Feature, npt.NDArray[np.float32]]]] = {}

    def create_app(self, name: str, quota: int, app_id: str | None = None) -> App:
        app = App(app_id or str(uuid.uuid4()), name, quota, time.time())
        self.apps[app.app_id] = app
        return app

    def get_app(self, app_id: str) -> App:
        if app_id not in self.apps:
            raise fpe.AppNotFound()
        return self.apps[app_id]

    def list_apps(self) -> list[App]:
        return list(self.apps.values())

    def add_key(self, app_id: str, access_key: str, sealed_secret: bytes) -> AccessKey:
        self.get_app(app_id)
        if sum(1 for k in self.keys.values() if k.app_id == app_id and k.active) >= 2:
            raise fpe.TooManyKeys()
        k = AccessKey(access_key, app_id, sealed_secret, time.time())
        self.keys[access_key] = k
        return k

    def get_key(self, access_key: str) -> AccessKey | None:
        return self.keys.get(access_key)

    def list_keys(self, app_id: str) -> list[AccessKey]:
        return [k for k in self.keys.values() if k.app_id == app_id]

    def revoke_key(self, access_key: str) -> None:
        k = self.keys.get(access_key)
        if k is None:
            raise fpe.AccessKeyNotFound()
        self.keys[access_key] = AccessKey(k.access_key, k.app_id, k.sealed_secret, k.created_at, time.time())

    def _db(self, app_id: str, db_id: str) -> Database:
        db = self.dbs.get(db_id)
        if db is None or db.app_id != app_id:
            raise fpe.DatabaseNotFound()
        return Database(db.db_id, db.app_id, db.name, db.description, db.max_size,
                        len(self.features[db_id]), db.model_version, db.created_at)

    def create_database(self, app_id: str, name: str, description: str, max_size: int,
                        model_version: str) -> Database:
        with self.lock:
            app = self.get_app(app_id)
            used = sum(d.max_size for d in self.dbs.values() if d.app_id == app_id)
            if used + max_size > app.quota:
                raise fpe.QuotaExceeded()
            db = Database(str(uuid.uuid4()), app_id, name, description, max_size, 0, model_version, time.time())
            self.dbs[db.db_id] = db
            self.features[db.db_id] = {}
            return db

    def list_databases(self, app_id: str) -> list[Database]:
        return [self._db(app_id, d.db_id) for d in self.dbs.values() if d.app_id == app_id]

    def get_database(self, app_id: str, db_id: str) -> Database:
        return self._db(app_id, db_id)

    def delete_database(self, app_id: str, db_id: str) -> None:
        with self.lock:
            self._db(app_id, db_id)
            del self.dbs[db_id]
            del self.features[db_id]

    def add_features(self, app_id: str, db_id: str, items: Sequence[NewFeature],
                     model_version: str) -> list[Feature | FaceprintError]:
        with self.lock:
            db = self._db(app_id, db_id)
            out: list[Feature | FaceprintError] = []
            for it in items:
                if len(self.features[db_id]) >= db.max_size:
                    out.append(fpe.DatabaseFull())
                    continue
                f = Feature(str(uuid.uuid4()), db_id, it.key, it.extra_info, model_version, time.time())
                self.features[db_id][f.feature_id] = (f, it.vector)
                out.append(f)
            return out

    def get_feature(self, app_id: str, db_id: str, feature_id: str) -> Feature:
        self._db(app_id, db_id)
        if feature_id not in self.features[db_id]:
            raise fpe.FeatureNotFound()
        return self.features[db_id][feature_id][0]

    def delete_feature(self, app_id: str, db_id: str, feature_id: str) -> None:
        self.get_feature(app_id, db_id, feature_id)
        del self.features[db_id][feature_id]

    def update_extra_info(self, app_id: str, db_id: str, feature_id: str, extra_info: str) -> Feature:
        f = self.get_feature(app_id, db_id, feature_id)
        g = Feature(f.feature_id, f.db_id, f.key, extra_info, f.model_version, f.created_at)
        self.features[db_id][feature_id] = (g, self.features[db_id][feature_id][1])
        return g

    def search(self, app_id: str, db_ids: Sequence[str], vector: npt.NDArray[np.float32], top_k: int,
               min_similarity: float, model_version: str) -> list[SearchResult]:
        out: list[SearchResult] = []
        for db_id in db_ids:
            try:
                self._db(app_id, db_id)
            except FaceprintError as e:
                out.append(e)
                continue
            hits = [Hit(f, float(np.dot(v, vector))) for f, v in self.features[db_id].values()]
            hits = sorted((h for h in hits if h.similarity >= min_similarity), key=lambda h: -h.similarity)
            out.append(hits[:top_k])
        return out

    def close(self) -> None:
        pass
