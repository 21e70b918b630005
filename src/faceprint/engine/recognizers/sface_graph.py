"""Rewrite OpenCV's SFace recogniser (``face_recognition_sface_2021dec.onnx``) into a graph that is fast on CPU.

The shipped graph (MXNet export, opset 11, MobileFaceNet-style: 27 Conv + BatchNormalization + PRelu blocks,
then BatchNormalization, Dropout, Flatten, Gemm 50176->128, BatchNormalization) takes a ``1x3x112x112`` RGB
float input in 0..255 (OpenCV's FaceRecognizerSF swaps its BGR crop to RGB); it normalises inside itself
(``Sub 127.5`` then ``Mul 1/128``), so callers pass raw pixels to both the shipped and the rewritten graph.
Every change below is exact in real arithmetic; on float32 the outputs differ from the shipped graph's by
rounding only (about 2e-6 relative).

Changes, and why (times: onnxruntime 1.32 CPU, one intra-op thread, ORT_ENABLE_ALL, median ms per face at
batch 1 on the development machine, where the shipped graph takes about 37 ms; see ``bench/sface_speed.py``):

* Weights become initializers. The shipped graph also lists all 174 of them as graph inputs, which makes
  onnxruntime treat them as overridable, so it neither constant-folds nor fuses them (no Conv+BN fusion,
  no NCHWc blocked layout). Alone: 37 -> 31 ms.
* The batch dimension becomes symbolic (``batch``): the shipped graph is fixed to one face per run.
* PRelu is rewritten exactly as ``y + (1 - a) * Relu(-y)`` (equal to ``Relu(y) + a * Min(y, 0)``), with both
  per-channel products written as 1x1 depthwise convolutions (``Relu(-y)`` as a conv with weight -1, then a
  conv with weight ``1 - a`` whose result is added to ``y``). onnxruntime has no NCHWc PRelu, so the shipped
  graph converts layouts around every one of the 27 PRelu nodes and runs a slow broadcasting kernel
  (half the run time). In this form the whole trunk stays in the NCHWc layout: the first conv fuses its
  Relu, the second fuses the Add, two cheap passes per activation. 31 -> 14.5 ms. Measured alternatives:
  ``Relu(y) + a*Min(y, 0)`` 20 ms, ``Relu(y) - a*Relu(-y)`` 19 ms, ``a*y + (1-a)*Relu(y)`` 14-16 ms
  (slower at batch 8), ``Relu(y) - DW(Relu(DW(y, -1)), a)`` 15.5 ms, ``Where`` 42 ms. ``Max(y, a*y)`` is
  not used: it is wrong for the three channels whose slope exceeds 1.
* BatchNormalization is folded into the preceding Conv (float64, then float32), the input's ``Mul 1/128``
  into the first Conv's weights (a power of two: exact; the ``Sub 127.5`` stays, so the zero padding of the
  first Conv still pads the normalised image), and the two head BatchNormalizations into the Gemm. Dropout
  (identity at inference) is dropped. onnxruntime would fuse most of this itself at load time; doing it
  here makes the file smaller and load faster, the run time gain is within noise (< 0.1 ms).

The conversion is deterministic: the same input gives a byte-identical file (its sha256 is pinned).

The int8 form of this graph (the default pack, ``sface-2021dec-int8``) is built from it by :mod:`.int8`, from
committed activation ranges, so that it too is byte-reproducible and pinned.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import helper, numpy_helper

__all__ = ["BATCH_DIM", "INPUT_NAME", "OUTPUT_NAME", "optimise"]

log = logging.getLogger(__name__)

INPUT_NAME = "data"
OUTPUT_NAME = "fc1"
BATCH_DIM = "batch"
#: The shipped graph is opset 11; 13 changes none of the ops used here, and is the least that onnxruntime's
#: per-channel int8 quantiser accepts (per-axis DequantizeLinear). IR 7 loads on every supported onnxruntime.
_OPSET = 13
_IR_VERSION = 7

F64 = npt.NDArray[np.float64]


class _Graph:
    """The shipped graph's nodes and weights, plus the rewritten nodes and weights as they are built."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.weights: dict[str, F64] = {
            init.name: numpy_helper.to_array(init).astype(np.float64) for init in model.graph.initializer
        }
        self.nodes: list[onnx.NodeProto] = list(model.graph.node)
        self.out_nodes: list[onnx.NodeProto] = []
        # Insertion-ordered, so that the file is the same on every run.
        self.out_weights: dict[str, npt.NDArray[np.float32]] = {}

    def weight(self, name: str) -> F64:
        return self.weights[name]

    def add_weight(self, name: str, value: F64) -> str:
        if name in self.out_weights:
            raise ValueError(f"weight {name} written twice")
        self.out_weights[name] = np.ascontiguousarray(value, dtype=np.float32)
        return name

    def emit(self, op: str, inputs: Sequence[str], output: str, name: str, **attrs: Any) -> None:
        self.out_nodes.append(helper.make_node(op, list(inputs), [output], name=name, **attrs))


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _bn_scale_shift(g: _Graph, bn: onnx.NodeProto) -> tuple[F64, F64]:
    """BatchNormalization as ``x * scale + shift`` per channel."""
    gamma, beta, mean, var = (g.weight(name) for name in bn.input[1:5])
    # The epsilon attribute is a float32; onnxruntime adds it as such.
    eps = float(np.float32(_attrs(bn).get("epsilon", 1e-5)))
    scale = gamma / np.sqrt(var + eps)
    return scale, beta - mean * scale


def _expect(node: onnx.NodeProto | None, op: str) -> onnx.NodeProto:
    if node is None or node.op_type != op:
        found = "end of graph" if node is None else node.op_type
        raise ValueError(f"unexpected SFace graph: expected {op}, found {found}")
    return node


def _conv_bn(g: _Graph, conv: onnx.NodeProto, bn: onnx.NodeProto, x: str, input_scale: float) -> str:
    """Conv followed by BatchNormalization as one Conv; returns its output name."""
    scale, shift = _bn_scale_shift(g, bn)
    kernel = g.weight(conv.input[1]) * input_scale * scale[:, None, None, None]
    bias = shift + (g.weight(conv.input[2]) * scale if len(conv.input) > 2 and conv.input[2] else 0.0)
    w = g.add_weight(conv.input[1], kernel)
    b = g.add_weight(f"{bn.output[0]}_bias", bias)
    g.emit("Conv", [x, w, b], bn.output[0], conv.name or conv.output[0], **_attrs(conv))
    return str(bn.output[0])


def _prelu(g: _Graph, prelu: onnx.NodeProto, y: str) -> str:
    """Exact PRelu, ``y + (1 - a) * Relu(-y)``, as two 1x1 depthwise convs; returns its output name."""
    slope = g.weight(prelu.input[1]).reshape(-1)
    channels = slope.shape[0]
    base = str(prelu.output[0])
    dw = {"group": channels, "kernel_shape": [1, 1]}
    neg = g.add_weight(f"{base}_neg_w", -np.ones((channels, 1, 1, 1)))
    # (1 - a) in float64 then rounded once: the closest float32 to the exact factor.
    comp = g.add_weight(f"{base}_comp_w", (1.0 - slope).reshape(channels, 1, 1, 1))
    g.emit("Conv", [y, neg], f"{base}_neg", f"{base}_neg", **dw)
    g.emit("Relu", [f"{base}_neg"], f"{base}_negrelu", f"{base}_negrelu")
    g.emit("Conv", [f"{base}_negrelu", comp], f"{base}_negpart", f"{base}_negpart", **dw)
    g.emit("Add", [f"{base}_negpart", y], base, base)
    return base


def _head(g: _Graph, bn1: onnx.NodeProto, gemm: onnx.NodeProto, fc_bn: onnx.NodeProto, x: str) -> None:
    """BatchNormalization, Flatten, Gemm, BatchNormalization as Flatten and one Gemm."""
    attrs = _attrs(gemm)
    if attrs.get("transA", 0) != 0 or attrs.get("transB", 0) != 1:
        raise ValueError("unexpected SFace graph: Gemm layout")
    if attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
        raise ValueError("unexpected SFace graph: Gemm alpha/beta")
    weight = g.weight(gemm.input[1])  # (out, channels * h * w), input flattened channel-major
    bias = g.weight(gemm.input[2])
    in_scale, in_shift = _bn_scale_shift(g, bn1)
    per_channel = weight.shape[1] // in_scale.shape[0]
    in_scale, in_shift = np.repeat(in_scale, per_channel), np.repeat(in_shift, per_channel)
    out_scale, out_shift = _bn_scale_shift(g, fc_bn)
    folded_w = weight * in_scale[None, :] * out_scale[:, None]
    # Exactly rounded sums, not a BLAS product: BLAS kernels sum in a CPU-dependent order, which could move
    # a float32 bias by one ulp on another machine and change the pinned sha256.
    shifted = np.array([math.fsum(row) for row in (weight * in_shift[None, :]).tolist()])
    folded_b = (bias + shifted) * out_scale + out_shift
    g.emit("Flatten", [x], f"{bn1.output[0]}_flat", f"{bn1.output[0]}_flat", axis=1)
    w = g.add_weight(gemm.input[1], folded_w)
    b = g.add_weight(gemm.input[2], folded_b)
    g.emit("Gemm", [f"{bn1.output[0]}_flat", w, b], OUTPUT_NAME, gemm.name or gemm.output[0], transB=1)


def _rewrite(model: onnx.ModelProto) -> onnx.ModelProto:
    g = _Graph(model)
    nodes = g.nodes
    pos = 0

    def take(op: str) -> onnx.NodeProto:
        nonlocal pos
        node = _expect(nodes[pos] if pos < len(nodes) else None, op)
        pos += 1
        return node

    sub, mul = take("Sub"), take("Mul")
    if sub.input[0] != INPUT_NAME or g.weight(sub.input[1]).size != 1 or g.weight(mul.input[1]).size != 1:
        raise ValueError("unexpected SFace graph: input normalisation")
    input_scale = float(g.weight(mul.input[1]).reshape(()))
    mean = g.add_weight(sub.input[1], g.weight(sub.input[1]))
    g.emit("Sub", [INPUT_NAME, mean], sub.output[0], sub.name or sub.output[0])
    x = sub.output[0]
    blocks = 0
    while pos < len(nodes) and nodes[pos].op_type == "Conv":
        conv, bn, prelu = take("Conv"), take("BatchNormalization"), take("PRelu")
        y = _conv_bn(g, conv, bn, x, input_scale if blocks == 0 else 1.0)
        x = _prelu(g, prelu, y)
        blocks += 1
    bn1 = take("BatchNormalization")
    take("Dropout")
    take("Flatten")
    gemm = take("Gemm")
    fc_bn = take("BatchNormalization")
    if pos != len(nodes) or fc_bn.output[0] != OUTPUT_NAME:
        raise ValueError("unexpected SFace graph: head")
    _head(g, bn1, gemm, fc_bn, x)
    log.debug("SFace rewrite: %d conv blocks, %d nodes", blocks, len(g.out_nodes))

    graph = helper.make_graph(
        g.out_nodes,
        model.graph.name or "sface",
        [helper.make_tensor_value_info(INPUT_NAME, onnx.TensorProto.FLOAT, [BATCH_DIM, 3, 112, 112])],
        [helper.make_tensor_value_info(OUTPUT_NAME, onnx.TensorProto.FLOAT, [BATCH_DIM, 128])],
        [numpy_helper.from_array(value, name) for name, value in g.out_weights.items()],
    )
    out = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", _OPSET)], ir_version=_IR_VERSION, producer_name="faceprint"
    )
    # Apache-2.0 section 4(b): a modified file carries a notice of the change
    out.doc_string = (
        "Modified by Faceprint (faceprint.engine.recognizers.sface_graph.optimise) from the OpenCV model zoo's "
        "face_recognition_sface_2021dec.onnx (Apache-2.0): weights as initializers, a free batch size, PRelu "
        "rewritten exactly as a ReLU branch with depthwise convolutions, batch normalisations folded into the "
        "convolutions and the final Gemm. Same function, outputs equal to ~1e-6."
    )
    onnx.checker.check_model(out, full_check=True)
    return out


def optimise(src: Path, dst: Path) -> None:
    """Read the shipped SFace graph at ``src`` and write the rewritten one to ``dst`` (see the module doc)."""
    model = onnx.load(str(src))
    out = _rewrite(model)
    data = out.SerializeToString(deterministic=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(dst)
    log.info("SFace graph %s -> %s: %d nodes, %d bytes", src.name, dst, len(out.graph.node), len(data))
