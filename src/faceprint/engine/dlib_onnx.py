"""Rebuild dlib's face-recognition ResNet as an ONNX graph, so serving runs on onnxruntime.

The graph takes ``chip``: float32 ``[N, 150, 150, 3]``, RGB 0..255, laid out like the array
``dlib.get_face_chip`` returns (a uint8 chip cast to float32), and gives ``descriptor``: float32
``[N, 128]``, dlib's raw (not normalised) face descriptor. The preprocessing is inside the graph:
HWC to NCHW, minus dlib's per-channel mean, divided by 256 (not 255, no std).

Faithfulness to dlib, where a PyTorch-style ResNet would differ:

* stride-2 convolutions have no padding (dlib pads ``k/2`` only when the stride is 1);
* ``add_prev`` of two tensors of different shapes takes the elementwise maximum of the shapes and
  counts missing entries as zero: the down-sampling blocks become ``Pad`` (zeros at the end of the
  channel / bottom / right) + ``Add``. The pad sizes are static, so the graph is for 150x150 only,
  the only size this network takes.

The file written is byte-for-byte deterministic for a given ``.dat`` (no timestamps, fixed opset
and IR version, initializers named by position), so its sha256 can be pinned in a manifest.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from onnx import GraphProto, NodeProto, TensorProto, helper, numpy_helper

from faceprint.engine.dlib_format import ResNetModel, read_resnet
from faceprint.errors import ModelMissing

__all__ = ["INPUT_NAME", "OPSET", "OUTPUT_NAME", "build_model_bytes", "check_against_dlib", "convert_resnet"]

log = logging.getLogger(__name__)

INPUT_NAME = "chip"
OUTPUT_NAME = "descriptor"
#: ONNX opset and IR version of the written file (fixed, so the bytes are stable).
OPSET = 17
_IR_VERSION = 8
_PRODUCER = ("faceprint.dlib_onnx", "1")


class _GraphBuilder:
    """Accumulates nodes and initializers with deterministic names, tracking (C, H, W)."""

    def __init__(self) -> None:
        self.nodes: list[NodeProto] = []
        self.inits: list[TensorProto] = []
        self._n = 0

    def name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def const(self, prefix: str, value: npt.NDArray[np.generic]) -> str:
        name = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], out: str | None = None, **attrs: Any) -> str:
        out = out or self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], out, None, None, **attrs))
        return out


def _pad_to(g: _GraphBuilder, x: str, shape: tuple[int, int, int], target: tuple[int, int, int]) -> str:
    if shape == target:
        return x
    extra = [t - s for s, t in zip(shape, target, strict=True)]
    pads = np.array([0, 0, 0, 0, 0, *extra], dtype=np.int64)  # begins (N,C,H,W), ends (N,C,H,W)
    return g.node("Pad", [x, g.const("pads", pads)], mode="constant")


def _build_graph(model: ResNetModel) -> GraphProto:
    g = _GraphBuilder()
    rows, cols = model.input_size
    x = g.node("Transpose", [INPUT_NAME], perm=[0, 3, 1, 2])
    mean = np.array(model.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1)
    x = g.node("Sub", [x, g.const("mean", mean)])
    x = g.node("Mul", [x, g.const("scale", np.array(1.0 / 256.0, dtype=np.float32))])
    shape = (3, rows, cols)
    tags: dict[str, tuple[str, tuple[int, int, int]]] = {}
    last_tag = ""
    flat = False
    for layer in model.layers:
        c, h, w = shape
        if layer.kind in ("tag1", "tag2"):
            tags[layer.kind] = (x, shape)
            last_tag = layer.kind
        elif layer.kind == "skip1":
            x, shape = tags["tag1"]
        elif layer.kind == "con":
            assert layer.weights is not None
            kh, kw = layer.kernel
            (sy, sx), (py, px) = layer.stride, layer.padding
            inputs = [x, g.const("W", layer.weights)]
            if layer.bias is not None:
                inputs.append(g.const("B", layer.bias))
            x = g.node("Conv", inputs, kernel_shape=[kh, kw], strides=[sy, sx], pads=[py, px, py, px])
            shape = (layer.weights.shape[0], (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1)
        elif layer.kind == "affine":
            assert layer.weights is not None and layer.bias is not None
            x = g.node("Mul", [x, g.const("gamma", layer.weights.reshape(1, -1, 1, 1))])
            x = g.node("Add", [x, g.const("beta", layer.bias.reshape(1, -1, 1, 1))])
        elif layer.kind == "relu":
            x = g.node("Relu", [x])
        elif layer.kind in ("max_pool", "avg_pool"):
            kh, kw = layer.kernel
            (sy, sx), (py, px) = layer.stride, layer.padding
            if kh == 0 and kw == 0:
                x = g.node("GlobalAveragePool", [x])
                x = g.node("Flatten", [x], axis=1)
                shape, flat = (c, 1, 1), True
            else:
                op = "MaxPool" if layer.kind == "max_pool" else "AveragePool"
                extra: dict[str, Any] = {} if op == "MaxPool" else {"count_include_pad": 0}
                x = g.node(op, [x], kernel_shape=[kh, kw], strides=[sy, sx], pads=[py, px, py, px], **extra)
                shape = (c, (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1)
        elif layer.kind == "add_prev":
            other, oshape = tags[last_tag]
            target = (max(c, oshape[0]), max(h, oshape[1]), max(w, oshape[2]))
            x = g.node("Add", [_pad_to(g, x, shape, target), _pad_to(g, other, oshape, target)])
            shape = target
        elif layer.kind == "fc":
            assert layer.weights is not None
            if not flat:
                x = g.node("Flatten", [x], axis=1)
                flat = True
            x = g.node("MatMul", [x, g.const("fc_W", layer.weights)])
            if layer.bias is not None:
                x = g.node("Add", [x, g.const("fc_B", layer.bias)])
            shape = (layer.weights.shape[1], 1, 1)
        else:
            raise ModelMissing(f"Unsupported dlib layer kind {layer.kind!r}.")
    g.node("Identity", [x], out=OUTPUT_NAME)
    inp = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", rows, cols, 3])
    out = helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", shape[0]])
    return helper.make_graph(g.nodes, "dlib_face_recognition_resnet_model_v1", [inp], [out], g.inits)


def build_model_bytes(dat_path: Path) -> bytes:
    """The serialized ONNX model for the dlib ``.dat`` at ``dat_path`` (deterministic bytes)."""
    import onnx

    model = read_resnet(dat_path)
    graph = _build_graph(model)
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=_PRODUCER[0],
        producer_version=_PRODUCER[1],
        ir_version=_IR_VERSION,
    )
    source_sha = hashlib.sha256(Path(dat_path).read_bytes()).hexdigest()
    helper.set_model_props(proto, {"source": Path(dat_path).name, "source_sha256": source_sha})
    onnx.checker.check_model(proto)
    return bytes(proto.SerializeToString())


def convert_resnet(dat_path: Path, onnx_path: Path) -> None:
    """Write the ONNX rebuild of dlib's ResNet ``dat_path`` to ``onnx_path`` (atomically).

    Raises :class:`~faceprint.errors.ModelMissing` if the ``.dat`` is unreadable or not the
    expected network.
    """
    data = build_model_bytes(dat_path)
    onnx_path = Path(onnx_path)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=onnx_path.name, suffix=".tmp", dir=onnx_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; the model is not a secret
        os.replace(tmp, onnx_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("wrote %s (%d bytes, sha256 %s)", onnx_path, len(data), hashlib.sha256(data).hexdigest())


def reference_chips(count: int = 8, seed: int = 0) -> npt.NDArray[np.uint8]:
    """Deterministic 150x150 RGB test chips: smooth random textures (no face; they exercise the net)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(count, 10, 10, 3)).astype(np.float32)
    chips = coarse.repeat(15, axis=1).repeat(15, axis=2)
    chips += rng.normal(0.0, 12.0, size=chips.shape).astype(np.float32)
    return np.clip(chips, 0, 255).astype(np.uint8)


def check_against_dlib(onnx_path: Path, dat_path: Path, chips: npt.NDArray[np.uint8] | None = None) -> float:
    """Max absolute difference between the ONNX graph's and dlib's raw descriptors.

    ``chips``: ``(N, 150, 150, 3)`` uint8 RGB; by default :func:`reference_chips`. Requires the
    ``dlib`` module (a test dependency, never needed for serving): raises ImportError without it.
    """
    import dlib  # optional: only for this check
    import onnxruntime as ort

    if chips is None:
        chips = reference_chips()
    net = dlib.face_recognition_model_v1(str(dat_path))
    ref = np.array([np.array(net.compute_face_descriptor(c)) for c in chips], dtype=np.float64)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    got = sess.run([OUTPUT_NAME], {INPUT_NAME: chips.astype(np.float32)})[0]
    return float(np.max(np.abs(got.astype(np.float64) - ref)))
