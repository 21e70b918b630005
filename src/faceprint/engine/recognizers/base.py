"""The one narrow role every recogniser plays: a face in, its aligned chip out; chips in, unit vectors out."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from faceprint.engine.recognizers.packs import PackSpec
from faceprint.engine.types import Face, FloatArray, RGBImage
from faceprint.errors import ModelMissing

__all__ = ["Recognizer", "flip_average", "onnx_session", "unit_rows"]


class Recognizer(Protocol):
    """A face descriptor model of one pack. Implementations are thread-safe."""

    spec: PackSpec

    def chip(self, image: RGBImage, face: Face) -> RGBImage:
        """The network's input chip of ``face`` (uint8 ``(size, size, 3)`` RGB) cut from ``image``."""
        ...

    def embed(self, chips: npt.NDArray[np.uint8]) -> FloatArray:
        """L2-normalised descriptors ``(N, dim)`` float32 of chips ``(N, size, size, 3)`` (N may be 0)."""
        ...


def onnx_session(path: Path, threads: int | None) -> Any:
    """An onnxruntime CPU session with the engine's options; ModelMissing (naming the file) if it won't load."""
    if not Path(path).is_file():
        raise ModelMissing(f"Model file {path} is missing: run `faceprint models pull`.")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or os.cpu_count() or 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # a user's graph may warn once per weight listed as an input: errors only
    # The API runs one engine call per core at once; spinning pool threads would then steal the cores the
    # other requests need, so idle threads sleep instead.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelMissing(f"Model file {path} cannot be loaded as an ONNX model: {exc}") from exc


def unit_rows(vectors: npt.NDArray[np.floating[Any]]) -> FloatArray:
    """Rows scaled to unit length (a zero row stays zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    out: FloatArray = (v / np.maximum(norms, np.float32(1e-12))).astype(np.float32)
    return out


def flip_average(
    run: Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.floating[Any]]], chips: npt.NDArray[np.uint8], flip: bool
) -> FloatArray:
    """Unit descriptors of ``chips`` by ``run`` (raw vectors); with ``flip``, of each chip plus its mirror image
    (the two unit vectors summed, then normalised: the usual "flip test", one more network pass per face)."""
    if not flip or len(chips) == 0:
        return unit_rows(run(chips))
    n = len(chips)
    both = unit_rows(run(np.concatenate([chips, np.ascontiguousarray(chips[:, :, ::-1])])))
    return unit_rows(both[:n] + both[n:])
