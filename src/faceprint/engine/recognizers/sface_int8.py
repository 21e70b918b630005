"""SFace in int8: the rewritten graph (:mod:`.sface_graph`) quantised with onnxruntime, reproducibly.

Static quantisation needs each activation's range. Measured by running calibration faces through the graph,
those ranges (and so the file) differ slightly from one machine to another, and the file could not be pinned by
sha256 like every other model file. Here the ranges are measured once and committed
(``sface_int8_ranges.json`` beside this module: per tensor ``[lowest, highest]``, onnxruntime's Percentile
calibration, the 99.999th percentile, over 202 aligned chips of the faces in ``../shared/faces``; no LFW image),
and the quantiser only applies them: the same graph, the same ranges and the same onnxruntime release give a
byte-identical file, whose sha256 the manifest pins (hence the ``onnxruntime`` pin in ``pyproject.toml``).

Format: QOperator (QLinearConv and friends), weights int8 per channel, activations uint8. Measured on one
thread (``bench/descriptor.py``): about half the time of the float graph, descriptors at cosine ~0.99 of the
float ones, and LFW figures in README "Figures". It is its own pack (``sface-2021dec-int8``, its own
feature_version and calibration): its vectors are close to, not equal to, the float pack's, so a database keeps
the one it was created with.

``bench/sface_speed.py --write-ranges`` refits the ranges (then the manifest's sha256 changes).
"""

from __future__ import annotations

import json
import logging
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import onnx

__all__ = ["RANGES_FILE", "load_ranges", "quantise", "write_ranges"]

log = logging.getLogger(__name__)

#: The committed activation ranges, package data beside this module.
RANGES_FILE = "sface_int8_ranges.json"
_ABOUT = (
    "Activation ranges of SFace's rewritten graph (face_recognition_sface_2021dec_fast.onnx) for int8 static "
    "quantisation: per tensor [lowest, highest], onnxruntime's Percentile calibration (99.999th) over {n} aligned "
    "SFace chips of the faces found in ../shared/faces (no LFW image). Refit: python bench/sface_speed.py "
    "--write-ranges."
)


def load_ranges(path: Path | None = None) -> dict[str, tuple[float, float]]:
    """The committed ranges (or those at ``path``): tensor name -> (lowest, highest)."""
    text = path.read_text() if path is not None else (
        resources.files("faceprint.engine.recognizers").joinpath(RANGES_FILE).read_text()
    )
    raw: dict[str, Any] = json.loads(text)
    return {k: (float(lo), float(hi)) for k, (lo, hi) in raw["ranges"].items()}


def write_ranges(ranges: dict[str, tuple[float, float]], chips: int, path: Path) -> None:
    """Store ``ranges`` measured on ``chips`` calibration chips in the committed format."""
    doc = {"about": _ABOUT.format(n=chips), "method": "Percentile",
           "ranges": {k: [float(lo), float(hi)] for k, (lo, hi) in sorted(ranges.items())}}
    path.write_text(json.dumps(doc, indent=0) + "\n")


def _ort_cache(ranges: dict[str, tuple[float, float]], path: Path) -> None:
    """The ranges as onnxruntime's calibration cache, which ``quantize_static`` reads instead of calibrating."""
    import numpy as np
    from onnxruntime.quantization.calibrate import CalibrationMethod, TensorData, TensorsData, save_tensors_data

    data = {k: TensorData(lowest=np.float32(lo), highest=np.float32(hi)) for k, (lo, hi) in ranges.items()}
    save_tensors_data(TensorsData(CalibrationMethod.Percentile, data), path, smooth_quant=False)


class _PreprocessAdvice(logging.Filter):
    """Drops the quantiser's advice to run its shape pre-processing first (measured: no change to this graph)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


def quantise(src: Path, dst: Path) -> None:
    """Write the int8 form of the rewritten SFace graph ``src`` to ``dst`` from the committed ranges."""
    # Imported here: the quantiser pulls in modules that serving never needs.
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    ranges = load_ranges()
    dst.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    quiet = _PreprocessAdvice()
    root.addFilter(quiet)
    try:
        with tempfile.TemporaryDirectory(prefix="faceprint-int8-") as td:
            cache, out = Path(td) / "ranges.json", Path(td) / "int8.onnx"
            _ort_cache(ranges, cache)
            quantize_static(
                str(src), str(out), None, calibration_cache_path=str(cache), quant_format=QuantFormat.QOperator,
                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Percentile,
            )
            data = onnx.load(str(out)).SerializeToString(deterministic=True)
    finally:
        root.removeFilter(quiet)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(dst)
    log.info("SFace int8 graph %s -> %s: %d ranges, %d bytes", src.name, dst, len(ranges), len(data))
