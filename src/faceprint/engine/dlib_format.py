"""Readers for dlib's serialization format: the face-recognition ResNet and the shape predictor.

dlib writes objects with a handful of primitives (``dlib/serialize.h``):

* integers: one header byte (bit 7 = negative, low 4 bits = number of magnitude bytes), then the
  magnitude, little-endian. ``01 02`` is 2, ``81 1c`` is -28, ``00`` is 0;
* scalar floats: two integers, an int64 mantissa and an int16 exponent, value = m * 2**e
  (exponents 32000/32001/32002 mean +inf/-inf/nan);
* strings: a length integer, then the bytes; bools: ASCII ``'1'`` / ``'0'``;
* ``std::vector``: a length integer, then the items;
* ``matrix<float,0,1>``: -rows, -cols as integers (negated marks the current format), then the items;
* DNN tensors: version 2, four dimension integers, then raw little-endian float32 data.

The two model files read here:

* :func:`read_resnet`: ``dlib_face_recognition_resnet_model_v1.dat`` (the ``anet_type`` of dlib's
  ``dnn_face_recognition_ex.cpp``). Every layer wrapper writes its version *before* its sub-network
  and its details *after* it, so the file holds the loss, then one version integer per wrapper
  (outermost first), then the input layer, then the layer details innermost (input side) first.
* :func:`read_shape_predictor`: ``shape_predictor_5_face_landmarks.dat`` (version 1, the initial
  shape, the cascade of regression forests, the anchor indices and the pixel deltas).

Every reader checks that it ends exactly at the end of the file; any mismatch raises
:class:`~faceprint.errors.ModelMissing` naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from faceprint.errors import ModelMissing

__all__ = [
    "DlibReader",
    "ResNetLayer",
    "ResNetModel",
    "ShapePredictorModel",
    "read_resnet",
    "read_shape_predictor",
]

_F32 = npt.NDArray[np.float32]
_I64 = npt.NDArray[np.int64]

_INF_EXP, _NINF_EXP, _NAN_EXP = 32000, 32001, 32002


def _special(exponent: int) -> float:
    if exponent == _INF_EXP:
        return math.inf
    if exponent == _NINF_EXP:
        return -math.inf
    if exponent == _NAN_EXP:
        return math.nan
    raise OverflowError(exponent)


class DlibReader:
    """A cursor over the bytes of a dlib-serialized object."""

    def __init__(self, data: bytes, name: str = "<bytes>") -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def fail(self, what: str) -> ModelMissing:
        """The error to raise when the bytes are not what the format says."""
        return ModelMissing(f"Model file {self.name} is corrupt or unsupported: {what} (at byte {self.pos}).")

    def at_end(self) -> bool:
        return self.pos == len(self.data)

    def read_int(self) -> int:
        """A dlib variable-length integer."""
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise self.fail("unexpected end of file")
        head = data[pos]
        n = head & 0x0F
        if n > 8 or pos + 1 + n > len(data):
            raise self.fail("bad integer header")
        value = int.from_bytes(data[pos + 1 : pos + 1 + n], "little")
        self.pos = pos + 1 + n
        return -value if head & 0x80 else value

    def read_float(self) -> float:
        """A dlib scalar float (mantissa, exponent)."""
        mantissa = self.read_int()
        exponent = self.read_int()
        try:
            return math.ldexp(mantissa, exponent) if exponent < _INF_EXP else _special(exponent)
        except OverflowError:
            raise self.fail("bad float") from None

    def read_floats(self, count: int) -> _F32:
        """``count`` consecutive dlib scalar floats, as float32 (how dlib stores them in memory)."""
        out = np.empty(count, dtype=np.float64)
        data, pos, end = self.data, self.pos, len(self.data)
        from_bytes, ldexp = int.from_bytes, math.ldexp
        try:
            for i in range(count):
                head = data[pos]
                n = head & 0x0F
                m = from_bytes(data[pos + 1 : pos + 1 + n], "little")
                if head & 0x80:
                    m = -m
                pos += 1 + n
                head = data[pos]
                n = head & 0x0F
                e = from_bytes(data[pos + 1 : pos + 1 + n], "little")
                if head & 0x80:
                    e = -e
                pos += 1 + n
                out[i] = ldexp(m, e) if e < _INF_EXP else _special(e)
        except (IndexError, OverflowError):
            self.pos = pos
            raise self.fail("unexpected end of file or bad float") from None
        if pos > end:
            raise self.fail("unexpected end of file")
        self.pos = pos
        return out.astype(np.float32)

    def read_bool(self) -> bool:
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of file")
        ch = self.data[self.pos]
        self.pos += 1
        if ch not in (0x30, 0x31):
            raise self.fail("bad bool")
        return ch == 0x31

    def read_string(self) -> str:
        n = self.read_int()
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail("bad string length")
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("latin-1")

    def expect_string(self, *names: str) -> str:
        """Read a string and check that it is one of ``names``."""
        start = self.pos
        s = self.read_string()
        if s not in names:
            self.pos = start
            raise self.fail(f"expected {' or '.join(names)}, found {s[:40]!r}")
        return s

    def read_float_column(self) -> _F32:
        """A ``matrix<float,0,1>``."""
        nr, nc = self.read_int(), self.read_int()
        nr, nc = abs(nr), abs(nc)
        if nc != 1 and nr * nc != 0:
            raise self.fail("expected a column vector")
        return self.read_floats(nr * nc)

    def read_tensor(self) -> _F32:
        """A DNN ``resizable_tensor``, returned as a float32 array of shape (n, k, nr, nc)."""
        version = self.read_int()
        dims = [self.read_int() for _ in range(4)]
        if any(d < 0 for d in dims):
            raise self.fail("negative tensor dimension")
        count = dims[0] * dims[1] * dims[2] * dims[3]
        if version == 2:
            nbytes = 4 * count
            if self.pos + nbytes > len(self.data):
                raise self.fail("tensor data past end of file")
            arr = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos).astype(np.float32)
            self.pos += nbytes
        elif version == 1:
            arr = self.read_floats(count)
        else:
            raise self.fail(f"unknown tensor version {version}")
        return arr.reshape(dims)

    def read_alias(self) -> tuple[int, int, int, int]:
        version = self.read_int()
        if version != 1:
            raise self.fail(f"unknown alias_tensor version {version}")
        n, k, nr, nc = (self.read_int() for _ in range(4))
        return (n, k, nr, nc)


# ---------------------------------------------------------------------------------------------
# The face-recognition ResNet


@dataclass(slots=True)
class ResNetLayer:
    """One computational layer, in input-to-output order.

    ``kind`` is one of ``con``, ``affine``, ``relu``, ``max_pool``, ``avg_pool``, ``add_prev``,
    ``fc``, or a wiring marker ``tag1``, ``tag2``, ``skip1`` (no computation; the reader infers them
    from the positions of dlib's tag/skip wrappers, since the file does not store their ids).
    """

    kind: str
    #: con: filters (O, I, H, W); fc: weights (num_inputs, num_outputs); affine: gamma (C,).
    weights: _F32 | None = None
    #: con: biases (O,) or None; affine: beta (C,); fc: biases or None.
    bias: _F32 | None = None
    #: con / pools: (kernel_h, kernel_w); (0, 0) for a global average pool.
    kernel: tuple[int, int] = (0, 0)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


@dataclass(slots=True)
class ResNetModel:
    """dlib's face-recognition network, parsed."""

    #: Per-channel mean subtracted from the RGB input before dividing by 256: (R, G, B).
    mean_rgb: tuple[float, float, float]
    #: Input size the network was defined for (rows, cols).
    input_size: tuple[int, int]
    #: Layers, input side first, with tag/skip markers in place.
    layers: list[ResNetLayer] = field(default_factory=list)
    #: loss_metric's margin and distance threshold (0.04, 0.6 for the shipped model).
    loss_margin: float = 0.0
    loss_threshold: float = 0.0

    @property
    def num_params(self) -> int:
        total = 0
        for layer in self.layers:
            for a in (layer.weights, layer.bias):
                if a is not None:
                    total += int(a.size)
        return total


def _read_trailer(r: DlibReader, input_layer: bool) -> None:
    for _ in range(3):
        r.read_bool()
    for _ in range(3):
        if r.read_tensor().size:
            raise r.fail("unexpected non-empty gradient/cache tensor")
    if input_layer:
        r.read_int()  # sample_expansion_factor


def _read_layer_details(r: DlibReader) -> ResNetLayer:
    name = r.expect_string("con_4", "con_5", "affine_", "relu_", "max_pool_2", "avg_pool_2", "add_prev_", "fc_2")
    if name in ("con_4", "con_5"):
        params = r.read_tensor().ravel()
        nf, kh, kw, sy, sx, py, px = (r.read_int() for _ in range(7))
        filt = r.read_alias()
        r.read_alias()  # biases alias
        for _ in range(4):
            r.read_float()  # learning-rate / weight-decay multipliers
        use_bias = r.read_bool() if name == "con_5" else True
        n_w = filt[0] * filt[1] * filt[2] * filt[3]
        if filt[0] != nf or (filt[2], filt[3]) != (kh, kw) or params.size != n_w + (nf if use_bias else 0):
            raise r.fail("convolution parameter sizes do not agree")
        weights = params[:n_w].reshape(filt)
        bias = params[n_w:].copy() if use_bias else None
        return ResNetLayer("con", weights, bias, (kh, kw), (sy, sx), (py, px))
    if name == "affine_":
        params = r.read_tensor().ravel()
        g = r.read_alias()
        r.read_alias()
        mode = r.read_int()
        c = g[1] if mode == 0 else g[1] * g[2] * g[3]
        if mode != 0 or params.size != 2 * c:
            raise r.fail("only per-channel (conv mode) affine layers are supported")
        return ResNetLayer("affine", params[:c].copy(), params[c:].copy())
    if name == "relu_":
        return ResNetLayer("relu")
    if name in ("max_pool_2", "avg_pool_2"):
        kh, kw, sy, sx, py, px = (r.read_int() for _ in range(6))
        kind = "max_pool" if name == "max_pool_2" else "avg_pool"
        return ResNetLayer(kind, kernel=(kh, kw), stride=(sy, sx), padding=(py, px))
    if name == "add_prev_":
        return ResNetLayer("add_prev")
    # fc_2
    num_outputs, num_inputs = r.read_int(), r.read_int()
    params = r.read_tensor().ravel()
    r.read_alias()
    r.read_alias()
    bias_mode = r.read_int()  # 0: FC_HAS_BIAS, 1: FC_NO_BIAS
    for _ in range(4):
        r.read_float()
    n_w = num_inputs * num_outputs
    if params.size != n_w + (num_outputs if bias_mode == 0 else 0):
        raise r.fail("fc parameter sizes do not agree")
    bias = params[n_w:].copy() if bias_mode == 0 else None
    return ResNetLayer("fc", params[:n_w].reshape(num_inputs, num_outputs), bias)


def _label_wrappers(r: DlibReader, versions: list[int]) -> list[str]:
    """Names for the version sequence (outermost first): ``layer`` for add_layer, and tag/skip labels.

    In ``anet_type`` a tag/skip wrapper (version 1) stands alone as ``tag1`` (the input of a
    residual block), or comes as a pair ``skip1`` (outer) + ``tag2`` (inner) in a down-sampling
    block. Anything else is not this architecture.
    """
    labels: list[str] = []
    i = 0
    while i < len(versions):
        v = versions[i]
        if v in (2, 3):
            labels.append("layer")
            i += 1
        elif v == 1:
            if i + 1 < len(versions) and versions[i + 1] == 1:
                if i + 2 < len(versions) and versions[i + 2] == 1:
                    raise r.fail("three tag/skip wrappers in a row: not the expected architecture")
                labels += ["skip1", "tag2"]
                i += 2
            else:
                labels.append("tag1")
                i += 1
        else:
            raise r.fail(f"unknown layer wrapper version {v}")
    return labels


def read_resnet(path: Path) -> ResNetModel:
    """Parse ``dlib_face_recognition_resnet_model_v1.dat``.

    Raises :class:`~faceprint.errors.ModelMissing` if the file is absent, truncated, or holds a
    network this reader does not understand.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelMissing(f"Model file {path} cannot be read: {exc}.") from exc
    r = DlibReader(data, str(path))
    if r.read_int() != 1:
        raise r.fail("unknown loss layer version")
    r.expect_string("loss_metric_2", "loss_metric_")
    margin, threshold = r.read_float(), r.read_float()

    versions: list[int] = []
    while True:
        v = r.read_int()
        versions.append(v)
        if v == 3:
            break
        if v not in (1, 2) or len(versions) > 10_000:
            raise r.fail("bad layer wrapper version")
    r.expect_string("input_rgb_image_sized")
    mean = (r.read_float(), r.read_float(), r.read_float())
    nr, nc = r.read_int(), r.read_int()

    labels = _label_wrappers(r, versions)
    layers: list[ResNetLayer] = []
    first = True
    for label in reversed(labels):  # innermost (input side) first
        if label == "layer":
            layer = _read_layer_details(r)
            _read_trailer(r, input_layer=first)
            first = False
            layers.append(layer)
        else:
            layers.append(ResNetLayer(label))
    if not r.at_end():
        raise r.fail("trailing bytes after the network")
    return ResNetModel(mean, (nr, nc), layers, margin, threshold)


# ---------------------------------------------------------------------------------------------
# The shape predictor (an ensemble of regression trees, Kazemi & Sullivan 2014)


@dataclass(slots=True)
class ShapePredictorModel:
    """dlib's ``shape_predictor``, parsed into dense arrays.

    Shapes are in the box-normalised frame: (0, 0) is the box's top-left pixel, (1, 1) its
    bottom-right pixel. ``P`` parts, ``C`` cascade levels, ``T`` trees per level, ``S`` splits and
    ``L = S + 1`` leaves per tree, ``F`` feature pixels per level.
    """

    #: (2P,) float32: x0, y0, x1, y1, ...
    initial_shape: _F32
    #: (C, T, S) int64 feature indices of each split (idx1, idx2) and float32 thresholds.
    split_idx1: _I64
    split_idx2: _I64
    split_thresh: _F32
    #: (C, T, L, 2P) float32 leaf displacements.
    leaves: _F32
    #: (C, F) int64: the shape part each feature pixel hangs from.
    anchor_idx: _I64
    #: (C, F, 2) float32: the pixel's offset from its anchor, in the initial shape's frame.
    deltas: _F32

    @property
    def num_parts(self) -> int:
        return int(self.initial_shape.size // 2)


def read_shape_predictor(path: Path) -> ShapePredictorModel:
    """Parse a dlib ``shape_predictor`` file (version 1), e.g. ``shape_predictor_5_face_landmarks.dat``.

    Every tree must be complete (``2**d - 1`` splits, ``2**d`` leaves) with the same depth, and each
    level must have the same number of trees and feature pixels, as dlib's trainer produces.
    Raises :class:`~faceprint.errors.ModelMissing` otherwise.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelMissing(f"Model file {path} cannot be read: {exc}.") from exc
    r = DlibReader(data, str(path))
    if r.read_int() != 1:
        raise r.fail("unknown shape_predictor version")
    initial = r.read_float_column()
    dim = initial.size
    n_levels = r.read_int()
    idx1: list[list[int]] = []
    idx2: list[list[int]] = []
    thresh: list[float] = []
    leaves: list[_F32] = []
    n_trees = n_splits = -1
    for _ in range(n_levels):
        trees = r.read_int()
        if n_trees not in (-1, trees):
            raise r.fail("cascade levels with different numbers of trees")
        n_trees = trees
        for _ in range(trees):
            ns = r.read_int()
            if n_splits not in (-1, ns) or ns < 1:
                raise r.fail("trees of different depths")
            n_splits = ns
            a: list[int] = []
            b: list[int] = []
            for _ in range(ns):
                a.append(r.read_int())
                b.append(r.read_int())
                thresh.append(r.read_float())
            idx1.append(a)
            idx2.append(b)
            nl = r.read_int()
            if nl != ns + 1:
                raise r.fail("tree is not complete")
            for _ in range(nl):
                leaf = r.read_float_column()
                if leaf.size != dim:
                    raise r.fail("leaf size differs from the shape size")
                leaves.append(leaf)
    anchors: list[list[int]] = []
    if r.read_int() != n_levels:
        raise r.fail("anchor list length differs from the cascade length")
    for _ in range(n_levels):
        n = r.read_int()
        anchors.append([r.read_int() for _ in range(n)])
    if r.read_int() != n_levels:
        raise r.fail("delta list length differs from the cascade length")
    deltas: list[_F32] = []
    for lvl in range(n_levels):
        n = r.read_int()
        if n != len(anchors[lvl]) or n != len(anchors[0]):
            raise r.fail("delta and anchor counts differ")
        deltas.append(r.read_floats(2 * n).reshape(n, 2))
    if not r.at_end():
        raise r.fail("trailing bytes after the shape predictor")

    shape3 = (n_levels, n_trees, n_splits)
    model = ShapePredictorModel(
        initial_shape=initial,
        split_idx1=np.asarray(idx1, dtype=np.int64).reshape(shape3),
        split_idx2=np.asarray(idx2, dtype=np.int64).reshape(shape3),
        split_thresh=np.asarray(thresh, dtype=np.float32).reshape(shape3),
        leaves=np.stack(leaves).reshape(n_levels, n_trees, n_splits + 1, dim),
        anchor_idx=np.asarray(anchors, dtype=np.int64),
        deltas=np.stack(deltas),
    )
    n_feat = model.anchor_idx.shape[1]
    if (
        model.split_idx1.max(initial=0) >= n_feat
        or model.split_idx2.max(initial=0) >= n_feat
        or model.anchor_idx.max(initial=0) >= dim // 2
        or (n_splits + 1) & n_splits
    ):
        raise r.fail("index out of range")
    return model
