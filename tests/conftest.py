"""Session fixtures shared by every test package: the model cache, the photo set and the engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from faceprint.engine.models import ModelStore, load_manifest
from faceprint.errors import ModelMissing
from faceprint.settings import Settings

if TYPE_CHECKING:
    from faceprint.engine import Engine

REPO = Path(__file__).resolve().parents[1]


def _faces_dir() -> Path:
    env = os.environ.get("FACEPRINT_FACES_DIR")
    return Path(env) if env else REPO.parent / "shared" / "faces"


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """The labelled photo set (../shared/faces, research use only: read there, never copied)."""
    d = _faces_dir()
    if not (d / "labels.csv").is_file():
        pytest.skip(f"labelled photos not available at {d} (../shared/faces)")
    return d


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The verified model cache (`faceprint models pull` fills it; ./run test runs the pull)."""
    d = Settings().model_dir
    store = ModelStore(d)
    try:
        for e in load_manifest():
            store.path(e.file)
    except ModelMissing as e:
        pytest.skip(f"model files not available: {e.message}")
    return d


@pytest.fixture(scope="session")
def engine(model_dir: Path) -> Iterator[Engine]:
    """One real engine for the whole session (models load once)."""
    from faceprint.engine import Engine

    eng = Engine.from_settings(Settings(model_dir=model_dir))
    yield eng
