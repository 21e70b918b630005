"""The ``arcface`` family: any ONNX recogniser fed a chip aligned by the 5-point similarity transform.

SFace (OpenCV model zoo) is one; so are ArcFace-style models a user holds a licence for. The chip: the
least-squares similarity transform (Umeyama) between the face's five points (``Face.align5``) and the pack's
template (eye centres, nose tip, mouth corners, in chip pixels), sampled bilinearly (after a box
reduction for large faces, :func:`~faceprint.engine.align.resample_chip`). The network input: the chip in
the pack's colour order and layout, ``(x - mean) / std``. A graph whose batch is fixed at 1 is run one chip
at a time; a dynamic batch takes every chip in one run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faceprint.engine.align import resample_chip
from faceprint.engine.landmarks import similarity_transform
from faceprint.engine.recognizers.base import flip_average, onnx_session
from faceprint.engine.recognizers.packs import PackSpec
from faceprint.engine.types import Face, FloatArray, RGBImage
from faceprint.errors import InternalError, ModelMissing

__all__ = ["ArcFaceRecognizer", "chip_transform5"]


def chip_transform5(points: FloatArray, template: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The 2x3 affine taking chip pixels to image pixels for a face with five ``points`` (``(5, 2)``, image
    pixels, the template's order). As insightface and OpenCV align for these networks: the least-squares
    similarity from the points to the template, inverted (not the fit the other way, which differs when the
    points are noisy)."""
    m, t = similarity_transform(np.asarray(points, np.float64), np.asarray(template, np.float64))
    inv = np.linalg.inv(m)
    return np.hstack([inv, (-inv @ t)[:, None]])


class ArcFaceRecognizer:
    """One ONNX session of an ``arcface``-family pack. Thread-safe."""

    def __init__(self, spec: PackSpec, model_path: Path, threads: int | None = None, batch_size: int = 16) -> None:
        self.spec = spec
        self._session = onnx_session(model_path, threads)
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1:
            raise ModelMissing(
                f"Model file {model_path} does not look like a recogniser: it has {len(inputs)} inputs "
                "(one image input expected)."
            )
        self._input = inputs[0].name
        self._output = outputs[0].name
        shape = list(inputs[0].shape)
        size = spec.input_size
        expected = [3, size, size] if spec.layout == "NCHW" else [size, size, 3]
        if len(shape) != 4 or [d for d in shape[1:] if isinstance(d, int)] != [
            e for d, e in zip(shape[1:], expected, strict=True) if isinstance(d, int)
        ]:
            raise ModelMissing(
                f"Model file {model_path} takes input {shape}, but its pack says {spec.layout} {size}x{size}."
            )
        self._batch = 1 if shape[0] == 1 else max(1, batch_size)
        self._mean = np.asarray(spec.mean, np.float32)
        self._scale = np.float32(1.0) / np.asarray(spec.std, np.float32)

    def chip(self, image: RGBImage, face: Face) -> RGBImage:
        if face.align5 is None:
            raise InternalError("A face reached the descriptor without its five alignment points.")
        return resample_chip(image, chip_transform5(face.align5, self.spec.alignment.template), self.spec.input_size)

    def _prepare(self, chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        x = chips[..., ::-1] if self.spec.colour == "BGR" else chips
        x = (x.astype(np.float32) - self._mean) * self._scale
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2) if self.spec.layout == "NCHW" else x)

    def raw(self, chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """The network's outputs ``(N, dim)`` for chips ``(N, size, size, 3)`` RGB, not normalised."""
        chips = np.asarray(chips)
        size = self.spec.input_size
        if chips.ndim != 4 or chips.shape[1:] != (size, size, 3):
            raise InternalError(f"Face chips must be (N, {size}, {size}, 3), got {chips.shape}.")
        out = np.empty((len(chips), self.spec.dim), np.float32)
        for start in range(0, len(chips), self._batch):
            x = self._prepare(chips[start : start + self._batch])
            y: Any = self._session.run([self._output], {self._input: x})[0]
            y = np.asarray(y, np.float32).reshape(len(x), -1)
            if y.shape[1] != self.spec.dim:
                raise ModelMissing(
                    f"Recogniser {self.spec.name} ({self.spec.file}) gives {y.shape[1]} values, its entry says "
                    f"{self.spec.dim}."
                )
            out[start : start + len(x)] = y
        return out

    def embed(self, chips: npt.NDArray[np.uint8]) -> FloatArray:
        return flip_average(self.raw, chips, self.spec.flip)
