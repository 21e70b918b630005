"""The face engine (no HTTP, no storage): ``from faceprint.engine import Engine``.

Imports are lazy so that light users (the model puller, the error table) do not load the models'
runtimes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faceprint.engine.engine import Comparison, Engine, ImageFaces, QualityReport
    from faceprint.engine.types import Angle, Box, Face, ImageInput, ImageSource

__all__ = ["Angle", "Box", "Comparison", "Engine", "Face", "ImageFaces", "ImageInput", "ImageSource", "QualityReport"]


def __getattr__(name: str) -> Any:
    if name in ("Engine", "ImageFaces", "Comparison", "QualityReport"):
        from faceprint.engine import engine

        return getattr(engine, name)
    if name in ("Angle", "Box", "Face", "ImageInput", "ImageSource"):
        from faceprint.engine import types

        return getattr(types, name)
    raise AttributeError(name)
