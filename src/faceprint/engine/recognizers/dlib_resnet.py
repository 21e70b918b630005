"""dlib's ResNet descriptor pack: dlib's 150x150 face chip from the 5-point model, then the ResNet rebuilt as
ONNX (:mod:`faceprint.engine.embed`). Equal to dlib's own descriptors (normalised) to ~1e-7."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from faceprint.engine.align import extract_chip
from faceprint.engine.embed import Embedder
from faceprint.engine.recognizers.base import flip_average
from faceprint.engine.recognizers.packs import PackSpec
from faceprint.engine.types import Face, FloatArray, RGBImage
from faceprint.errors import InternalError

__all__ = ["DlibResNet"]


class DlibResNet:
    """The ``dlib_resnet`` family: chips by :func:`~faceprint.engine.align.extract_chip`, vectors by
    :class:`~faceprint.engine.embed.Embedder`."""

    def __init__(self, spec: PackSpec, model_path: Path, threads: int | None = None) -> None:
        self.spec = spec
        self._embedder = Embedder(model_path, threads=threads)

    def chip(self, image: RGBImage, face: Face) -> RGBImage:
        if face.points5 is None:
            raise InternalError("A face reached the descriptor without landmarks.")
        return extract_chip(image, face.points5, self.spec.input_size, self.spec.alignment.padding)

    def embed(self, chips: npt.NDArray[np.uint8]) -> FloatArray:
        return flip_average(self._embedder.raw, chips, self.spec.flip)
