"""A thin wrapper around the LiteRT (TFLite) interpreter, without TensorFlow.

An interpreter is not thread-safe, so :class:`TFLiteModel` keeps a small pool of them (one per core by
default): concurrent callers each get their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faceprint.engine._pool import InstancePool
from faceprint.errors import ModelMissing

__all__ = ["TFLiteModel"]


class TFLiteModel:
    """Runs a ``.tflite`` file with one float32 input; returns every output as float32."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        if not path.is_file():
            raise ModelMissing(f"model file not found: {path}")
        from ai_edge_litert.interpreter import Interpreter

        def make() -> Any:
            interpreter = Interpreter(model_path=str(path), num_threads=max(1, threads))
            interpreter.allocate_tensors()
            return interpreter

        self._pool: InstancePool[Any] = InstancePool(make)
        with self._pool.get() as first:  # loads the first interpreter now: a broken file fails at start
            self._input = first.get_input_details()[0]
            self._outputs = first.get_output_details()
        self.path = path

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The input tensor shape, e.g. ``(1, 192, 192, 3)``."""
        return tuple(int(v) for v in self._input["shape"])

    def run(self, tensor: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
        """Run one inference; ``tensor`` must match :attr:`input_shape`."""
        data = np.ascontiguousarray(tensor, dtype=np.float32).reshape(self.input_shape)
        with self._pool.get() as interpreter:
            interpreter.set_tensor(self._input["index"], data)
            interpreter.invoke()
            return [np.array(interpreter.get_tensor(o["index"]), dtype=np.float32) for o in self._outputs]
