"""dlib's 5-point shape predictor, evaluated in numpy (no dlib at serving time).

The model is a cascade of regression-tree forests (Kazemi & Sullivan, 2014). This module follows
``dlib::shape_predictor::operator()`` step for step, with the same number types, so that it gives
dlib's answer on the same rectangle:

* the box maps to dlib's integer rectangle ``(left, top, right = left + width - 1, bottom = top +
  height - 1)``; shapes live in the frame where (0, 0) is the top-left pixel and (1, 1) the
  bottom-right pixel;
* at each cascade level, a similarity transform (Umeyama, in double, cast to float32) from the
  initial shape to the current one places the level's feature pixels; each pixel position is rounded
  half up (``floor(x + 0.5)``) and read as dlib's grey level of an RGB pixel,
  ``(R + G + B) // 3`` (integer division, not luma weights); pixels outside the image read as 0;
* each tree goes left when ``f[idx1] - f[idx2] > thresh`` (float32); the leaves are added to the
  current shape one tree after another in float32, in dlib's order;
* the final points are rounded half up to whole pixels, as dlib's ``full_object_detection`` holds
  integer points (``subpixel=True`` returns them unrounded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from faceprint.engine.dlib_format import ShapePredictorModel, read_shape_predictor
from faceprint.engine.types import Box, FloatArray, RGBImage
from faceprint.errors import BadRectangle

__all__ = ["ShapePredictor", "similarity_transform"]

_F64 = npt.NDArray[np.float64]


def similarity_transform(src: _F64, dst: _F64) -> tuple[_F64, _F64]:
    """Least-squares similarity (rotation, uniform scale, translation) mapping ``src`` to ``dst``.

    ``src``, ``dst``: ``(K, 2)`` points, K >= 2. Returns ``(M, t)`` with ``dst ~ src @ M.T + t``.
    Umeyama's closed form (his equations 34-43), as dlib's ``find_similarity_transform``.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = src.shape[0]
    mean_src = src.sum(axis=0) / n
    mean_dst = dst.sum(axis=0) / n
    ds = src - mean_src
    dd = dst - mean_dst
    sigma_src = float(np.sum(ds * ds)) / n
    cov = (dd.T @ ds) / n
    u, d, vt = np.linalg.svd(cov)
    s = np.ones(2)
    det = float(np.linalg.det(cov))
    if det < 0 or (det == 0 and np.linalg.det(u) * np.linalg.det(vt) < 0):
        s[1 if d[1] < d[0] else 0] = -1.0
    r = (u * s) @ vt
    c = float(np.sum(d * s)) / sigma_src if sigma_src != 0 else 1.0
    m = c * r
    return m, mean_dst - m @ mean_src


def _round_half_up(x: _F64) -> npt.NDArray[np.int64]:
    return np.floor(x + 0.5).astype(np.int64)


def _leaf_table(n_splits: int) -> npt.NDArray[np.int64]:
    """Leaf reached in a complete tree for every combination of its split outcomes (bit i: split i goes left)."""
    masks = np.arange(1 << n_splits, dtype=np.int64)
    node = np.zeros_like(masks)
    while True:
        inner = node < n_splits
        if not inner.any():
            return node - n_splits
        left = (masks >> np.minimum(node, n_splits - 1)) & 1
        node = np.where(inner, 2 * node + 2 - left, node)


class ShapePredictor:
    """The 5 face landmarks of dlib's ``shape_predictor_5_face_landmarks.dat``.

    Thread-safe: ``predict`` reads only immutable model arrays.
    """

    def __init__(self, model_path: Path) -> None:
        """``model_path``: the ``.dat`` file. Raises ModelMissing if it is absent or corrupt."""
        self.model: ShapePredictorModel = read_shape_predictor(Path(model_path))
        m = self.model
        self._initial = m.initial_shape.reshape(-1, 2)
        init = self._initial.astype(np.float64)
        self._init_centred = init - init.sum(axis=0) / init.shape[0]
        self._init_sigma = float(np.sum(self._init_centred**2)) / init.shape[0]
        n_levels, n_trees, n_splits = m.split_idx1.shape
        self._n_splits = n_splits
        self._leaf_base = np.arange(n_trees) * (n_splits + 1)
        # (levels, 2P, trees * leaves): a level's chosen leaves come out as contiguous rows per coordinate.
        self._leaves_t = np.ascontiguousarray(m.leaves.reshape(n_levels, n_trees * (n_splits + 1), -1).swapaxes(1, 2))
        # With at most 15 splits per tree, the leaf is a table lookup on the packed split outcomes.
        self._table = _leaf_table(n_splits) if n_splits <= 15 else None
        self._bits = (1 << np.arange(n_splits)).astype(np.float32)  # exact: sums stay below 2**24
        self._tree_base = np.arange(n_trees) * n_splits

    @property
    def num_parts(self) -> int:
        return self.model.num_parts

    def _tform(self, shape: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The 2x2 part of the similarity from the initial shape to ``shape``, as float32 (dlib's cast).

        The closed form of Umeyama's solution in 2-D: with ``cov = [[a, b], [c, d]]``, scale x rotation
        is ``[[a + d, b - c], [c - b, a + d]] / sigma``, whatever the sign of det(cov).
        """
        cur = shape.astype(np.float64)
        cur -= cur.sum(axis=0) / cur.shape[0]
        cov = (cur.T @ self._init_centred) / cur.shape[0]
        p = (cov[0, 0] + cov[1, 1]) / self._init_sigma
        q = (cov[1, 0] - cov[0, 1]) / self._init_sigma
        return np.array([[p, -q], [q, p]], dtype=np.float32)

    def _leaves_reached(self, lvl: int, feats: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        m = self.model
        go_left = (feats[m.split_idx1[lvl]] - feats[m.split_idx2[lvl]]) > m.split_thresh[lvl]  # (T, S)
        if self._table is not None:
            leaves: npt.NDArray[np.int64] = self._table[(go_left.astype(np.float32) @ self._bits).astype(np.int64)]
            return leaves
        flat = go_left.ravel()
        node = np.zeros(go_left.shape[0], dtype=np.int64)
        for _ in range(int(np.log2(self._n_splits + 1))):
            node = 2 * node + 2 - flat[self._tree_base + node]
        result: npt.NDArray[np.int64] = node - self._n_splits
        return result

    def predict(self, image: RGBImage, box: Box, *, subpixel: bool = False) -> FloatArray:
        """Landmarks of the face in ``box``: ``(P, 2)`` float32 pixel coordinates (x, y).

        ``image``: uint8 RGB ``(H, W, 3)`` (or grey ``(H, W)``). ``box``: the face box in pixels; a
        box from dlib's detector, ``Box(left, top, width, height)`` of its rectangle, gives dlib's
        exact points. With ``subpixel`` the points are not rounded to whole pixels.
        For the 5-point model the order is: 0, 1 the outer and inner corners of the eye on the image's
        right (the person's left eye); 2, 3 the outer and inner corners of the eye on the image's left
        (the person's right eye); 4 the base of the nose.
        """
        if not (box.width > 0 and box.height > 0 and np.isfinite(box).all()):
            raise BadRectangle(f"Cannot place landmarks in the box {tuple(box)}.")
        m = self.model
        h, w = image.shape[:2]
        left, top = float(box.left), float(box.top)
        sx, sy = float(box.width) - 1.0, float(box.height) - 1.0
        shape = self._initial.copy()  # (P, 2) float32
        for lvl in range(m.anchor_idx.shape[0]):
            # Where this level's feature pixels are, relative to the current shape (float32, as dlib).
            t32 = self._tform(shape)
            d = m.deltas[lvl]
            anchor = shape[m.anchor_idx[lvl]]
            px = (t32[0, 0] * d[:, 0] + t32[0, 1] * d[:, 1]) + anchor[:, 0]
            py = (t32[1, 0] * d[:, 0] + t32[1, 1] * d[:, 1]) + anchor[:, 1]
            xi = _round_half_up(left + sx * px.astype(np.float64))
            yi = _round_half_up(top + sy * py.astype(np.float64))
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            feats = np.zeros(xi.shape[0], dtype=np.float32)
            pix = image[yi[inside], xi[inside]]
            if pix.ndim == 2:
                pix = pix.astype(np.int32).sum(axis=1) // 3
            feats[inside] = pix
            leaf = np.take(self._leaves_t[lvl], self._leaf_base + self._leaves_reached(lvl, feats), axis=1)
            # dlib adds the leaves one by one in float32: a running sum reproduces its rounding.
            acc = np.add.accumulate(np.concatenate([shape.reshape(-1, 1), leaf], axis=1), axis=1)
            shape = acc[:, -1].reshape(-1, 2)
        xs = left + sx * shape[:, 0].astype(np.float64)
        ys = top + sy * shape[:, 1].astype(np.float64)
        pts = np.stack([xs, ys], axis=1)
        if not subpixel:
            pts = np.floor(pts + 0.5)
        return pts.astype(np.float32)
