"""Recognisers in int8: float graphs quantised with onnxruntime, reproducibly, from committed activation ranges.

Static quantisation needs each activation's range. Measured by running calibration faces through the graph,
those ranges (and so the file) differ slightly from one machine to another, and the file could not be pinned by
sha256 like every other model file. Here the ranges are measured once and committed beside this module (one JSON
file per network: per tensor ``[lowest, highest]``, measured on the aligned chips of the faces in
``../shared/faces``; no LFW image), and the quantiser only applies them: the same graph, the same ranges and the
same onnxruntime release give a byte-identical file, whose sha256 the manifest pins (hence the ``onnxruntime``
pin in ``pyproject.toml``).

Format: QOperator (QLinearConv and friends), weights int8 per output channel, activations uint8.

* SFace (:func:`quantise_sface`, ``sface_int8_ranges.json``): onnxruntime's Percentile calibration (99.999th) on
  the rewritten graph of :mod:`.sface_graph`; min-max ranges, set by rare outliers, lost 0.4 LFW points.
* dlib's ResNet (:func:`quantise_dlib`, ``dlib_int8_ranges.json``): min-max calibration on the graph rebuilt
  by :mod:`faceprint.engine.dlib_onnx` (its Percentile form ran slower than the float graph).

Each int8 network is a pack of its own (its own feature_version and calibration): its vectors are close to,
not equal to, the float pack's, so a database keeps the pack it was made with. ``bench/sface_speed.py
--write-ranges`` refits the ranges (then the manifest's sha256 changes).
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import onnx

__all__ = ["DLIB", "RECIPES", "SFACE", "Recipe", "load_ranges", "quantise", "quantise_dlib", "quantise_sface",
           "write_ranges"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recipe:
    """How one network is quantised: its committed ranges file and the calibration method that measured them."""

    name: str
    ranges_file: str
    method: str  # onnxruntime CalibrationMethod name: "Percentile" or "MinMax"
    float_file: str  # the float graph (in the model cache) the ranges were measured on
    pack: str  # the float pack whose chips calibrate it


SFACE = Recipe("sface", "sface_int8_ranges.json", "Percentile", "face_recognition_sface_2021dec_fast.onnx",
               "sface-2021dec")
DLIB = Recipe("dlib", "dlib_int8_ranges.json", "MinMax", "dlib_face_recognition_resnet_model_v1.onnx",
              "dlib-resnet-v1")
RECIPES = {r.name: r for r in (SFACE, DLIB)}

_ABOUT = (
    "Activation ranges of {float_file} for int8 static quantisation: per tensor [lowest, highest], onnxruntime's "
    "{method} calibration over {n} aligned chips of the faces found in ../shared/faces (no LFW image). "
    "Refit: python bench/sface_speed.py --write-ranges {name}."
)


def load_ranges(recipe: Recipe) -> dict[str, tuple[float, float]]:
    """The committed ranges of ``recipe``: tensor name -> (lowest, highest)."""
    text = resources.files("faceprint.engine.recognizers").joinpath(recipe.ranges_file).read_text()
    raw: dict[str, Any] = json.loads(text)
    if raw.get("method") != recipe.method:
        raise ValueError(f"{recipe.ranges_file} holds {raw.get('method')} ranges, {recipe.method} expected")
    return {k: (float(lo), float(hi)) for k, (lo, hi) in raw["ranges"].items()}


def write_ranges(recipe: Recipe, ranges: dict[str, tuple[float, float]], chips: int, path: Path) -> None:
    """Store ``ranges`` measured on ``chips`` calibration chips in the committed format."""
    about = _ABOUT.format(float_file=recipe.float_file, method=recipe.method, n=chips, name=recipe.name)
    doc = {"about": about, "method": recipe.method,
           "ranges": {k: [float(lo), float(hi)] for k, (lo, hi) in sorted(ranges.items())}}
    path.write_text(json.dumps(doc, indent=0) + "\n")


def _ort_cache(recipe: Recipe, ranges: dict[str, tuple[float, float]], path: Path) -> None:
    """The ranges as onnxruntime's calibration cache, which ``quantize_static`` reads instead of calibrating."""
    import numpy as np
    from onnxruntime.quantization.calibrate import CalibrationMethod, TensorData, TensorsData, save_tensors_data

    data = {k: TensorData(lowest=np.float32(lo), highest=np.float32(hi)) for k, (lo, hi) in ranges.items()}
    save_tensors_data(TensorsData(CalibrationMethod[recipe.method], data), path, smooth_quant=False)


class _PreprocessAdvice(logging.Filter):
    """Drops the quantiser's advice to run its shape pre-processing first (measured: no change to these graphs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


def quantise(recipe: Recipe, src: Path, dst: Path) -> None:
    """Write the int8 form of the float graph ``src`` to ``dst`` from ``recipe``'s committed ranges."""
    # Imported here: the quantiser pulls in modules that serving never needs.
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    ranges = load_ranges(recipe)
    dst.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    quiet = _PreprocessAdvice()
    root.addFilter(quiet)
    try:
        with tempfile.TemporaryDirectory(prefix="faceprint-int8-") as td:
            cache, out = Path(td) / "ranges.json", Path(td) / "int8.onnx"
            _ort_cache(recipe, ranges, cache)
            quantize_static(
                str(src), str(out), None, calibration_cache_path=str(cache), quant_format=QuantFormat.QOperator,
                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod[recipe.method],
            )
            data = onnx.load(str(out)).SerializeToString(deterministic=True)
    finally:
        root.removeFilter(quiet)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(dst)
    log.info("int8 %s graph %s -> %s: %d ranges, %d bytes", recipe.name, src.name, dst, len(ranges), len(data))


def quantise_sface(src: Path, dst: Path) -> None:
    """The manifest's builder of SFace's int8 file."""
    quantise(SFACE, src, dst)


def quantise_dlib(src: Path, dst: Path) -> None:
    """The manifest's builder of dlib ResNet's int8 file."""
    quantise(DLIB, src, dst)
