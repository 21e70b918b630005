"""Face recognisers as packs: one module per family, each with one narrow role (chip in, vector out).

* :mod:`.packs`: the manifest entry of a pack (file, input, alignment, dimension, score calibration).
* :mod:`.dlib_resnet`: dlib's ResNet (128-D, dlib's 150x150 chip).
* :mod:`.arcface`: ONNX recognisers fed a 5-point-aligned chip (SFace, a user's ArcFace).
* :mod:`.calibration`: fitting a pack's score map on labelled photos.
* :mod:`.sface_graph`: the exact, faster rewrite of the shipped SFace graph, built at ``models pull``.
"""

from __future__ import annotations

from pathlib import Path

from faceprint.engine.models import ModelStore
from faceprint.engine.recognizers.base import Recognizer
from faceprint.engine.recognizers.packs import PackSpec, ScoreMap, load_packs
from faceprint.errors import ModelMissing

__all__ = ["PackSpec", "Recognizer", "ScoreMap", "load_packs", "open_recognizer", "pack_file"]


def pack_file(spec: PackSpec, model_dir: Path) -> Path:
    """The pack's model file in ``model_dir``; ModelMissing (naming the file) when it is absent or its size
    is wrong."""
    if spec.shipped:
        return ModelStore(model_dir).path(spec.file)
    path = Path(model_dir) / spec.file
    if not path.is_file():
        raise ModelMissing(f"Model file {path} of recogniser pack {spec.name!r} is missing: add it again with "
                           "`faceprint models add`.")
    if spec.size is not None and path.stat().st_size != spec.size:
        raise ModelMissing(f"Model file {path} of recogniser pack {spec.name!r} is corrupt (size "
                           f"{path.stat().st_size}, expected {spec.size}).")
    return path


def open_recognizer(spec: PackSpec, model_dir: Path, threads: int | None = None) -> Recognizer:
    """The recogniser of ``spec`` on its file in ``model_dir``."""
    path = pack_file(spec, model_dir)
    if spec.family == "dlib_resnet":
        from faceprint.engine.recognizers.dlib_resnet import DlibResNet

        return DlibResNet(spec, path, threads)
    from faceprint.engine.recognizers.arcface import ArcFaceRecognizer

    return ArcFaceRecognizer(spec, path, threads)
