"""MediaPipe BlazeFace full-range, run on canvases of any size (multiples of 32 pixels).

The stock ``face_detection_full_range.tflite`` takes a 192x192 input. The network is fully convolutional
except for three ``RESIZE_BILINEAR`` layers of its feature pyramid, whose output sizes are constants
(12x12, 24x24, 48x48, i.e. input/16, input/8, input/4). :class:`_Patcher` rewrites those three
constants (and the input shape) for a canvas of ``H x W`` so that one inference covers a whole scaled
image, instead of tiling it into 192x192 crops: at 288x224 one call takes ~6 ms on one core where the
4 overlapping 192x192 tiles it replaces take ~14 ms. The weights are untouched; the rewrite happens in
memory, the file on disk (and its sha256) stays as shipped.

Outputs per anchor (one anchor per 4x4 input pixels, centred in its cell): a logit and 16 regressors,
in input pixels relative to the anchor centre: box centre dx, dy, width, height, then 6 keypoints
(x, y): the eye on the image's left (the person's right eye), the other eye, nose tip, mouth centre,
the ear tragion on the image's left, the other ear tragion.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faceprint.errors import ModelMissing

__all__ = ["BlazeFaceFullRange", "RawDetections"]

#: Network stride of the anchor grid, pixels.
ANCHOR_STRIDE = 4
#: Canvas sides must be multiples of this (the deepest feature map is input/32).
CANVAS_MULTIPLE = 32

F32 = npt.NDArray[np.float32]


class RawDetections:
    """Candidates of one inference, in canvas pixels: ``scores (N,)``, ``boxes (N, 4)`` as
    ``x1, y1, x2, y2``, ``keypoints (N, 6, 2)``."""

    __slots__ = ("boxes", "keypoints", "scores")

    def __init__(self, scores: F32, boxes: F32, keypoints: F32) -> None:
        self.scores = scores
        self.boxes = boxes
        self.keypoints = keypoints

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @staticmethod
    def concat(parts: list[RawDetections]) -> RawDetections:
        if not parts:
            return RawDetections(
                np.zeros(0, np.float32), np.zeros((0, 4), np.float32), np.zeros((0, 6, 2), np.float32)
            )
        return RawDetections(
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.keypoints for p in parts]),
        )


class _Patcher:
    """Where the input shape and the three resize sizes live in the model's bytes, found once."""

    def __init__(self, original: bytes) -> None:
        from ai_edge_litert import schema_py_generated as schema

        def vector_start(table: Any) -> int:  # field 0 of a table, a vector: where its data begins
            return int(table._tab.Vector(table._tab.Offset(4)))

        model = schema.Model.GetRootAsModel(original, 0)
        graph = model.Subgraphs(0)
        self.original = original
        self.resizes: list[tuple[int, int]] = []  # (byte position, divisor of the input side)
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            code = model.OperatorCodes(op.OpcodeIndex())
            if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) != schema.BuiltinOperator.RESIZE_BILINEAR:
                continue
            pos = vector_start(model.Buffers(graph.Tensors(op.Inputs(1)).Buffer()))
            side = int(np.frombuffer(original, np.int32, 1, pos)[0])
            self.resizes.append((pos, 192 // side))  # 12 -> 16, 24 -> 8, 48 -> 4
        self.input_shape = vector_start(graph.Tensors(graph.Inputs(0)))
        shape = np.frombuffer(original, np.int32, 4, self.input_shape)
        if len(self.resizes) != 3 or tuple(int(v) for v in shape) != (1, 192, 192, 3):
            raise ModelMissing("face_detection_full_range.tflite is not the expected BlazeFace full-range graph")

    def __call__(self, height: int, width: int) -> bytes:
        """The model rewritten for an ``height x width`` input (both multiples of 32)."""
        data = bytearray(self.original)
        struct.pack_into("<4i", data, self.input_shape, 1, height, width, 3)
        for pos, divisor in self.resizes:
            struct.pack_into("<2i", data, pos, height // divisor, width // divisor)
        return bytes(data)


class _Runner:
    """One interpreter for one canvas shape."""

    def __init__(self, content: bytes, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter: Any = Interpreter(model_content=content, num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = {o["name"]: o["index"] for o in self.interpreter.get_output_details()}
        self.regressors = next(i for n, i in outputs.items() if "regressor" in n)
        self.classifier = next(i for n, i in outputs.items() if "classifier" in n)

    def __call__(self, canvas: F32) -> tuple[F32, F32]:
        self.interpreter.set_tensor(self.input, canvas[None])
        self.interpreter.invoke()
        reg = self.interpreter.get_tensor(self.regressors)[0]
        logits = self.interpreter.get_tensor(self.classifier)[0, :, 0]
        return reg, logits


class BlazeFaceFullRange:
    """BlazeFace full-range on float canvases of any size that is a multiple of 32.

    Keeps one interpreter per canvas shape (built on first use, ~10 ms; at most ``cache_size`` kept,
    least recently used dropped). Thread-safe: calls are serialised by a lock.
    """

    def __init__(self, path: Path, threads: int = 1, cache_size: int = 8) -> None:
        if not path.is_file():
            raise ModelMissing(f"model file not found: {path}")
        self._patch = _Patcher(path.read_bytes())
        self._threads = max(1, threads)
        self._cache_size = max(1, cache_size)
        self._runners: OrderedDict[tuple[int, int], _Runner] = OrderedDict()
        self._anchors: dict[tuple[int, int], F32] = {}
        self._lock = threading.Lock()

    def _runner(self, height: int, width: int) -> _Runner:
        key = (height, width)
        runner = self._runners.get(key)
        if runner is None:
            runner = _Runner(self._patch(height, width), self._threads)
            self._runners[key] = runner
            while len(self._runners) > self._cache_size:
                self._runners.popitem(last=False)
        else:
            self._runners.move_to_end(key)
        return runner

    def _anchor_grid(self, height: int, width: int) -> F32:
        key = (height, width)
        grid = self._anchors.get(key)
        if grid is None:
            ys, xs = np.mgrid[0 : height // ANCHOR_STRIDE, 0 : width // ANCHOR_STRIDE]
            grid = ((np.stack([xs, ys], -1).reshape(-1, 2) + 0.5) * ANCHOR_STRIDE).astype(np.float32)
            self._anchors[key] = grid
        return grid

    def run(self, canvas: F32, min_score: float) -> RawDetections:
        """Every anchor scoring at least ``min_score`` (0..1) on ``canvas``: float32 ``(H, W, 3)``
        scaled to -1..1, H and W multiples of 32."""
        height, width = int(canvas.shape[0]), int(canvas.shape[1])
        if height % CANVAS_MULTIPLE or width % CANVAS_MULTIPLE:
            raise ValueError(f"canvas {width}x{height} is not a multiple of {CANVAS_MULTIPLE}")
        with self._lock:
            reg, logits = self._runner(height, width)(np.ascontiguousarray(canvas, np.float32))
        logit_min = float(np.log(min_score / (1.0 - min_score)))
        keep = np.nonzero(logits >= logit_min)[0]
        anchors = self._anchor_grid(height, width)[keep]
        reg = reg[keep]
        scores = (1.0 / (1.0 + np.exp(-np.clip(logits[keep], -100.0, 100.0)))).astype(np.float32)
        centre = anchors + reg[:, 0:2]
        half = reg[:, 2:4] / 2.0
        boxes = np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)
        keypoints = (reg[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]).astype(np.float32)
        return RawDetections(scores, boxes, keypoints)
