"""The dlib model readers and the ONNX rebuild of the descriptor network, on the real model files."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from faceprint.engine.dlib_format import DlibReader, read_resnet, read_shape_predictor
from faceprint.engine.dlib_onnx import check_against_dlib, convert_resnet
from faceprint.errors import ModelMissing

RESNET = "dlib_face_recognition_resnet_model_v1.dat"
SP5 = "shape_predictor_5_face_landmarks.dat"


def test_primitives_decode_dlib_bytes() -> None:
    r = DlibReader(b"\x01\x02\x81\x1c\x00\x02\x00\x01" + b"\x03\x0a\xd7\xa3\x81\x1c" + b"10" + b"\x01\x03abc")
    assert r.read_int() == 2
    assert r.read_int() == -28
    assert r.read_int() == 0
    assert r.read_int() == 256  # two magnitude bytes, little-endian
    assert r.read_float() == pytest.approx(0.04, rel=1e-6)
    assert r.read_bool() is True
    assert r.read_bool() is False
    assert r.read_string() == "abc"
    assert r.at_end()
    with pytest.raises(ModelMissing):
        r.read_int()


def test_resnet_has_dlibs_architecture(model_dir: Path) -> None:
    net = read_resnet(model_dir / RESNET)
    kinds = Counter(layer.kind for layer in net.layers)
    assert kinds["con"] == 29 and kinds["affine"] == 29 and kinds["relu"] == 29
    assert kinds["add_prev"] == 14 and kinds["tag1"] == 14 and kinds["tag2"] == 4 and kinds["skip1"] == 4
    assert kinds["max_pool"] == 1 and kinds["avg_pool"] == 5 and kinds["fc"] == 1
    assert net.input_size == (150, 150)
    assert net.mean_rgb == pytest.approx((122.782, 117.001, 104.298), abs=1e-4)
    assert net.loss_threshold == pytest.approx(0.6)
    assert net.num_params == 5_614_592
    first, last = net.layers[0], net.layers[-1]
    assert first.kind == "con" and first.kernel == (7, 7) and first.stride == (2, 2) and first.padding == (0, 0)
    assert last.kind == "fc" and last.weights is not None and last.weights.shape == (256, 128) and last.bias is None
    # dlib pads only the stride-1 convolutions.
    for layer in net.layers:
        if layer.kind == "con" and layer.kernel == (3, 3):
            assert layer.padding == ((1, 1) if layer.stride == (1, 1) else (0, 0))


def test_shape_predictor_is_a_complete_cascade(model_dir: Path) -> None:
    sp = read_shape_predictor(model_dir / SP5)
    assert sp.num_parts == 5
    assert sp.split_idx1.shape == (15, 500, 15)  # 15 levels of 500 trees of depth 4
    assert sp.leaves.shape == (15, 500, 16, 10)
    assert sp.anchor_idx.shape == (15, 800) and sp.deltas.shape == (15, 800, 2)
    assert np.isfinite(sp.leaves).all() and np.isfinite(sp.split_thresh).all()
    # The mean shape sits inside the unit box: eyes above the nose.
    pts = sp.initial_shape.reshape(5, 2)
    assert ((pts > 0) & (pts < 1)).all()
    assert pts[4, 1] > pts[:4, 1].max()


@pytest.mark.parametrize("name", [RESNET, SP5])
def test_truncated_or_padded_files_are_rejected(model_dir: Path, tmp_path: Path, name: str) -> None:
    data = (model_dir / name).read_bytes()
    reader = read_resnet if name == RESNET else read_shape_predictor
    (tmp_path / "cut.dat").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelMissing):
        reader(tmp_path / "cut.dat")
    (tmp_path / "long.dat").write_bytes(data + b"\x00")
    with pytest.raises(ModelMissing, match="trailing"):
        reader(tmp_path / "long.dat")
    with pytest.raises(ModelMissing):
        reader(tmp_path / "absent.dat")


def test_conversion_is_deterministic_and_valid(model_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    convert_resnet(model_dir / RESNET, a)
    convert_resnet(model_dir / RESNET, b)
    digest = hashlib.sha256(a.read_bytes()).hexdigest()
    assert digest == hashlib.sha256(b.read_bytes()).hexdigest()
    pulled = model_dir / "dlib_face_recognition_resnet_model_v1.onnx"
    if pulled.is_file():
        assert hashlib.sha256(pulled.read_bytes()).hexdigest() == digest
    model = onnx.load(str(a))
    onnx.checker.check_model(model)
    ops = Counter(n.op_type for n in model.graph.node)
    assert ops["Conv"] == 29 and ops["Relu"] == 29 and ops["Pad"] == 5 and ops["MatMul"] == 1
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", 150, 150, 3]


def test_onnx_matches_dlib(model_dir: Path) -> None:
    pytest.importorskip("dlib")
    diff = check_against_dlib(model_dir / "dlib_face_recognition_resnet_model_v1.onnx", model_dir / RESNET)
    assert diff < 1e-5
