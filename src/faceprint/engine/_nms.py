"""Non-maximum suppression for face candidates (boxes as ``x1, y1, x2, y2`` in pixels)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["iou_matrix", "nms", "weighted_nms"]

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def iou_matrix(a: F32, b: F32) -> F32:
    """Intersection over union of every box of ``a (N, 4)`` with every box of ``b (M, 4)``: ``(N, M)``."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)


def nms(scores: F32, boxes: F32, threshold: float) -> I64:
    """Indices kept by greedy NMS (best score first); a box overlapping a kept one by IoU above
    ``threshold`` (0..1) is dropped."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        if order.size == 1:
            break
        overlap = iou_matrix(boxes[best : best + 1], boxes[order[1:]])[0]
        order = order[1:][overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def weighted_nms(
    scores: F32, boxes: F32, points: F32, threshold: float
) -> tuple[F32, F32, F32, npt.NDArray[np.int64]]:
    """MediaPipe's weighted NMS: each kept candidate's box and points become the score-weighted mean of
    the candidates that overlap it by IoU above ``threshold``; its score stays the best one.

    ``points`` is ``(N, K, 2)``. Returns scores, boxes, points of the kept faces (best first) and, per
    kept face, how many candidates it absorbed (a face seen by several anchors is more credible).
    """
    order = np.argsort(-scores, kind="stable")
    out_s: list[float] = []
    out_b: list[F32] = []
    out_p: list[F32] = []
    support: list[int] = []
    while order.size:
        best = int(order[0])
        overlap = iou_matrix(boxes[best : best + 1], boxes[order])[0]
        group = order[overlap > threshold]
        rest = order[overlap <= threshold]
        if group.size == 0:  # degenerate box: keep it alone
            group = order[:1]
            rest = order[1:]
        w = scores[group].astype(np.float64)
        w = w / w.sum()
        out_s.append(float(scores[best]))
        out_b.append((boxes[group] * w[:, None]).sum(axis=0).astype(np.float32))
        out_p.append((points[group] * w[:, None, None]).sum(axis=0).astype(np.float32))
        support.append(int(group.size))
        order = rest
    k = points.shape[1] if points.ndim == 3 else 0
    return (
        np.asarray(out_s, np.float32),
        np.asarray(out_b, np.float32).reshape(-1, 4),
        np.asarray(out_p, np.float32).reshape(-1, k, 2),
        np.asarray(support, np.int64),
    )
