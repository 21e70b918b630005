"""YuNet (OpenCV model zoo, ``face_detection_yunet_2023mar``, MIT) on onnxruntime, decoded in numpy.

The graph is declared for a 640x640 input but nothing in it depends on that size (its reshapes are
``[1, -1, k]``, its upsamplings are by scale): the input's height and width are made free when the
session is built, so it runs on any canvas whose sides are multiples of 32. Input: BGR floats 0..255,
NCHW, no normalisation. Outputs, per stride 8, 16 and 32: ``cls`` and ``obj`` (already through a
sigmoid; the score is their geometric mean), ``bbox`` (centre offset in cells, log size in cells) and
``kps`` (5 points as cell offsets: the eye on the image's left, the other eye, the nose tip, the mouth
corner on the image's left, the other one), as OpenCV's ``FaceDetectorYN`` decodes them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faceprint.engine._nms import nms
from faceprint.errors import ModelMissing

__all__ = ["CANVAS", "MULTIPLE", "YuNet", "YuNetRaw", "keypoints6"]

F32 = npt.NDArray[np.float32]
#: Canvas sides must be multiples of this (the coarsest stride).
MULTIPLE = 32
_STRIDES = (8, 16, 32)
#: The canvas (width, height) a whole image is fitted into (landscape; turned for portrait images).
CANVAS = (512, 384)
#: IoU above which YuNet's candidates are merged.
NMS_IOU = 0.3


class YuNetRaw:
    """Candidates: ``scores (N,)``, ``boxes (N, 4)`` x1, y1, x2, y2 and ``points (N, 5, 2)``."""

    __slots__ = ("boxes", "points", "scores")

    def __init__(self, scores: F32, boxes: F32, points: F32) -> None:
        self.scores, self.boxes, self.points = scores, boxes, points

    def __len__(self) -> int:
        return len(self.scores)


def _free_input(path: Path) -> bytes:
    """The model with its input's height and width made symbolic."""
    import onnx

    try:
        model = onnx.load(str(path))
    except Exception as e:  # a truncated or foreign file: onnx's DecodeError and friends
        raise ModelMissing(
            f"Model file {path.name} is not a readable ONNX graph ({e}): run `faceprint models pull`.") from e
    inputs = list(model.graph.input)
    names = {o.name for o in model.graph.output}
    if len(inputs) != 1 or not {"cls_8", "obj_8", "bbox_8", "kps_8"} <= names:
        raise ModelMissing(f"Model file {path.name} is not the expected YuNet graph: run `faceprint models pull`.")
    dims = inputs[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for out in model.graph.output:  # (1, cells, k): the cell count follows the input's size
        out.type.tensor_type.shape.dim[1].dim_param = "cells"
    del model.graph.value_info[:]
    return bytes(model.SerializeToString())


class YuNet:
    """YuNet on canvases of any size that is a multiple of 32; thread-safe (calls serialised)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        if not path.is_file():
            raise ModelMissing(f"model file not found: {path}")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self._session: Any = ort.InferenceSession(
            _free_input(path), sess_options=options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._names = [f"{k}_{s}" for s in _STRIDES for k in ("cls", "obj", "bbox", "kps")]
        self._lock = threading.Lock()

    def detect(self, image: npt.NDArray[np.uint8], min_score: float, canvas: tuple[int, int] = CANVAS,
               nms_iou: float = NMS_IOU) -> YuNetRaw:
        """Faces scoring at least ``min_score`` on a whole RGB image (uint8 ``(H, W, 3)``), merged by NMS,
        best first, in ``image``'s pixels. The image is scaled down to fit ``canvas`` (width, height, both
        multiples of 32; turned for a portrait image) when larger, and padded to it: one canvas shape
        whatever the photo (onnxruntime re-plans its memory for every new shape)."""
        from PIL import Image

        h, w = image.shape[:2]
        cw, ch = canvas if w >= h else canvas[::-1]
        scale = min(1.0, cw / w, ch / h)
        pixels = image
        if scale < 1.0:
            size = (min(cw, max(1, round(w * scale))), min(ch, max(1, round(h * scale))))
            pixels = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))
        sh, sw = pixels.shape[:2]
        board = np.zeros((ch, cw, 3), np.uint8)
        board[:sh, :sw] = pixels
        raw = self.run(board, min_score)
        if not len(raw):
            return raw
        keep = nms(raw.scores, raw.boxes, nms_iou)
        factor = np.array([sw / w, sh / h], np.float32)
        boxes = (raw.boxes[keep].reshape(-1, 2, 2) / factor).reshape(-1, 4).astype(np.float32)
        return YuNetRaw(raw.scores[keep], boxes, (raw.points[keep] / factor).astype(np.float32))

    def run(self, rgb: npt.NDArray[np.uint8], min_score: float) -> YuNetRaw:
        """Every candidate scoring at least ``min_score`` (0..1) on ``rgb`` (uint8 ``(H, W, 3)``, H and W
        multiples of 32), before NMS, in ``rgb``'s pixels."""
        h, w = rgb.shape[:2]
        if h % MULTIPLE or w % MULTIPLE:
            raise ValueError(f"canvas {w}x{h} is not a multiple of {MULTIPLE}")
        blob = np.ascontiguousarray(rgb[:, :, ::-1].transpose(2, 0, 1)[None], np.float32)
        with self._lock:
            outs = self._session.run(self._names, {self._input: blob})
        scores: list[F32] = []
        boxes: list[F32] = []
        points: list[F32] = []
        for i, s in enumerate(_STRIDES):
            cls, obj, bbox, kps = (o[0] for o in outs[4 * i : 4 * i + 4])
            score = np.sqrt(np.clip(cls[:, 0], 0, 1) * np.clip(obj[:, 0], 0, 1))
            keep = np.nonzero(score >= min_score)[0]
            if not keep.size:
                continue
            cols = w // s
            cell = np.stack([keep % cols, keep // cols], axis=1).astype(np.float32)
            b = bbox[keep]
            centre = (cell + b[:, 0:2]) * s
            size = np.exp(b[:, 2:4]) * s
            boxes.append(np.concatenate([centre - size / 2, centre + size / 2], axis=1).astype(np.float32))
            points.append(((kps[keep].reshape(-1, 5, 2) + cell[:, None, :]) * s).astype(np.float32))
            scores.append(score[keep].astype(np.float32))
        if not scores:
            return YuNetRaw(np.zeros(0, np.float32), np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32))
        return YuNetRaw(np.concatenate(scores), np.concatenate(boxes), np.concatenate(points))


def keypoints6(points: F32) -> F32:
    """BlazeFace-style keypoints ``(N, 6, 2)`` from YuNet's 5 points ``(N, 5, 2)``: both eyes, the nose tip,
    the mouth centre and, for the ear tragions (which YuNet does not place), each eye pushed outwards by
    0.9 eye distances."""
    eyes = points[:, 1] - points[:, 0]
    out = np.empty((len(points), 6, 2), np.float32)
    out[:, 0:3] = points[:, 0:3]
    out[:, 3] = (points[:, 3] + points[:, 4]) / 2
    out[:, 4] = points[:, 0] - 0.9 * eyes
    out[:, 5] = points[:, 1] + 0.9 * eyes
    return out
