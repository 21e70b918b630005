"""Helpers shared by the API, SDK and CLI tests: the real app over a real store, tenants, a loopback server."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from faceprint.secrets import SecretBox, new_access_key, new_secret_key
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from faceprint.storage.factory import open_store

__all__ = ["PHOTOS", "PREFIX", "Tenant", "ThreadedServer", "make_settings", "make_tenant", "open_test_store"]

PREFIX = "/openapi/face/v1"

#: Single-face photos of six different people (../shared/faces), by the key the tests give them.
PHOTOS = {
    "jolie": "deepface_img2.jpg",
    "aniston": "deepface_img12.jpg",
    "johansson": "deepface_img8.jpg",
    "musk": "deepface_img18.jpg",
    "damon": "deepface_img29.jpg",
    "obama": "fr_obama.jpg",
}
#: Another photo of Matt Damon, and an image without a face.
DAMON_2 = "deepface_img30.jpg"
NO_FACE = "skimage_coffee.png"


@dataclass
class Tenant:
    """An app with one key pair (the plain secret, as a client holds it)."""

    app_id: str
    access_key: str
    secret: str


def open_test_store(settings: Settings) -> FeatureStore:
    """The real embedded store of ``settings`` (SQLite under its data_dir)."""
    store: FeatureStore = open_store(settings)
    return store


def make_tenant(store: FeatureStore, settings: Settings, quota: int = 10_000, name: str = "t") -> Tenant:
    app = store.create_app(name, quota)
    ak, sk = new_access_key(), new_secret_key()
    store.add_key(app.app_id, ak, SecretBox.from_settings(settings).seal(ak, sk))
    return Tenant(app.app_id, ak, sk)


def make_settings(tmp: Path, model_dir: Path | None = None) -> Settings:
    """Settings over ``tmp``; without ``model_dir`` the models are absent (database APIs only)."""
    return Settings(data_dir=tmp / "data", model_dir=model_dir or tmp / "no-models", inference_threads=2)


class ThreadedServer:
    """The app served by uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
