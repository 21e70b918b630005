"""A thin wrapper around the LiteRT (TFLite) interpreter, without TensorFlow.

One :class:`TFLiteModel` owns one interpreter; it is not thread-safe, so callers keep one per worker
or guard it with a lock (:class:`faceprint.engine.attributes.FaceAnalyzer` does the latter).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from faceprint.errors import ModelMissing

__all__ = ["TFLiteModel"]


class TFLiteModel:
    """Runs a ``.tflite`` file with one float32 input; returns every output as float32."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        if not path.is_file():
            raise ModelMissing(f"model file not found: {path}")
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(path), num_threads=max(1, threads))
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = self._interpreter.get_output_details()
        self._lock = threading.Lock()
        self.path = path

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The input tensor shape, e.g. ``(1, 192, 192, 3)``."""
        return tuple(int(v) for v in self._input["shape"])

    def run(self, tensor: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
        """Run one inference; ``tensor`` must match :attr:`input_shape`."""
        data = np.ascontiguousarray(tensor, dtype=np.float32).reshape(self.input_shape)
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], data)
            self._interpreter.invoke()
            return [
                np.array(self._interpreter.get_tensor(o["index"]), dtype=np.float32) for o in self._outputs
            ]
