"""SFace recogniser on CPU onnxruntime: the shipped graph vs :func:`faceprint.engine.recognizers.sface_graph.optimise`.

    .venv/bin/python bench/sface_speed.py [--model PATH] [--lfw DIR] [--reps N] [--int8]
    .venv/bin/python bench/sface_speed.py --write-ranges sface|dlib [--faces DIR]

One process: rewrites the shipped graph into a temporary folder, then times both on the same inputs, in
milliseconds per face (median of ``--reps`` runs after a warm-up) at batch 1 and batch 8, with 1 and 2
intra-op threads (the process pinned to as many CPUs; session options as in ``faceprint.engine.embed``:
inter-op 1, sequential, ORT_ENABLE_ALL, no spinning). The shipped graph is fixed to batch 1, so its batch-8
figure is 8 batch-1 runs. Then the largest absolute difference between the L2-normalised outputs.

Inputs are LFW thumbnails (150x150, face roughly centred) read in place from ``--lfw``: the central 100x100
square around (75, 80), resized to 112x112, BGR, float 0..255 (the graph normalises by itself).

``--int8`` also quantises the optimised graph with onnxruntime (static QDQ and QOperator with min-max
calibration, QOperator with percentile calibration (``quantise`` below), all per-channel,
calibrated on 200 crops of images that no pair of folds 5-8 uses; and dynamic, timed only), times each, and checks
LFW verification on the pairs of folds 5-8 only: best-threshold accuracy over all those pairs, for fp32
and int8, and the mean cosine between the fp32 and int8 descriptors of the same crop.

``--write-ranges NAME`` refits the activation ranges an int8 pack is quantised from
(``src/faceprint/engine/recognizers/NAME_int8_ranges.json``, see ``faceprint.engine.recognizers.int8``): every
face the engine finds in ``--faces`` (../shared/faces; no LFW image), aligned as the float pack aligns them,
through onnxruntime's calibrator (the recipe's method) on the float graph (SFace's Percentile calibration holds
every activation of every chip: it peaks at about 22 GB, so run it on an otherwise idle 24 GiB machine). The
manifest's sha256 of the int8 file must then be re-pinned.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from faceprint.engine.recognizers.sface_graph import INPUT_NAME, optimise  # noqa: E402
from faceprint.settings import Settings  # noqa: E402

F32 = npt.NDArray[np.float32]
DEFAULT_MODEL = Settings().model_dir / "face_recognition_sface_2021dec.onnx"
DEFAULT_LFW = REPO.parent / "shared" / "lfw"
CROP_CENTRE = (75, 80)  # x, y in the 150x150 thumbnail
CROP_SIDE = 100
SIDE = 112
_ALL_CPUS: list[int] = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def _pin(n: int) -> None:
    if _ALL_CPUS:
        os.sched_setaffinity(0, set(_ALL_CPUS[:n]))



class _Calibration:
    """onnxruntime's calibration reader protocol over an array of chips, one chip per run."""

    def __init__(self, chips: npt.NDArray[np.float32], input_name: str = INPUT_NAME) -> None:
        self._chips = chips
        self._input = input_name
        self._next = 0

    def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
        if self._next >= len(self._chips):
            return None
        chip = self._chips[self._next : self._next + 1]
        self._next += 1
        return {self._input: chip}

    def rewind(self) -> None:
        self._next = 0


def quantise(src: Path, dst: Path, calibration_chips: npt.NDArray[np.float32]) -> None:
    """Write an int8 version of the rewritten graph ``src`` (see the module doc) to ``dst``.

    ``calibration_chips``: ``(N, 3, 112, 112)`` BGR float 0..255, the graph's own input (about 200 faces).
    """
    # Imported here: the quantiser pulls in extra modules that serving never needs.
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    chips = np.ascontiguousarray(calibration_chips, dtype=np.float32)
    if chips.ndim != 4 or chips.shape[1:] != (3, 112, 112):
        raise ValueError(f"calibration chips must be (N, 3, 112, 112), got {chips.shape}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    quantize_static(
        str(src),
        str(tmp),
        _Calibration(chips),
        quant_format=QuantFormat.QOperator,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        # Min-max ranges are set by rare outliers and cost 0.4 LFW points; the 99.999th percentile keeps
        # accuracy within 0.05 points.
        calibrate_method=CalibrationMethod.Percentile,
    )
    tmp.replace(dst)
    print(f"SFace int8 graph {src.name} -> {dst}, calibrated on {len(chips)} chips")


def crop(path: Path) -> F32:
    """One LFW thumbnail as a ``(3, 112, 112)`` BGR float32 chip."""
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    cx, cy = CROP_CENTRE
    half = CROP_SIDE // 2
    chip = rgb.crop((cx - half, cy - half, cx + half, cy + half)).resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    arr = np.asarray(chip, dtype=np.float32)[:, :, ::-1]  # RGB -> BGR
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def crops(paths: list[Path]) -> F32:
    return np.stack([crop(p) for p in paths]).astype(np.float32)


def session(path: Path, threads: int) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3  # the shipped graph warns once per weight listed as an input
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, x: F32, batch: int) -> F32:
    """Outputs for all of ``x``, ``batch`` at a time (batch 1 for a fixed-batch graph)."""
    fixed = sess.get_inputs()[0].shape[0] == 1
    step = 1 if fixed else batch
    parts = [sess.run(None, {INPUT_NAME: x[i : i + step]})[0] for i in range(0, len(x), step)]
    return np.concatenate(parts).astype(np.float32)


def ms_per_face(sess: ort.InferenceSession, x: F32, batch: int, reps: int) -> float:
    chunk = x[:batch]
    for _ in range(3):
        run(sess, chunk, batch)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run(sess, chunk, batch)
        times.append((time.perf_counter() - t0) * 1000.0 / batch)
    return statistics.median(times)


def normalise(v: F32) -> F32:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def timings(models: dict[str, Path], x: F32, reps: int, thread_counts: list[int]) -> None:
    print(f"{'model':16s} {'threads':>7s} {'b1 ms/face':>11s} {'b8 ms/face':>11s}")
    for threads in thread_counts:
        _pin(threads)
        for name, path in models.items():
            sess = session(path, threads)
            b1 = ms_per_face(sess, x, 1, reps)
            b8 = ms_per_face(sess, x, 8, max(5, reps // 4))
            print(f"{name:16s} {threads:7d} {b1:11.2f} {b8:11.2f}", flush=True)
    _pin(len(_ALL_CPUS) or 1)


def lfw_pairs(lfw: Path, folds: set[int]) -> list[tuple[str, str, bool]]:
    with (lfw / "pairs.csv").open(newline="") as fh:
        return [(r["file_a"], r["file_b"], r["same"] == "1") for r in csv.DictReader(fh) if int(r["fold"]) in folds]


def best_accuracy(scores: npt.NDArray[np.float64], same: npt.NDArray[np.bool_]) -> float:
    """Accuracy at the best single threshold over these pairs (an optimistic, in-sample figure)."""
    order = np.argsort(-scores, kind="stable")
    s = same[order]
    # Threshold after the k highest scores: those k called "same", the rest "different".
    tp = np.concatenate([[0], np.cumsum(s)])
    tn = (~same).sum() - np.concatenate([[0], np.cumsum(~s)])
    return float((tp + tn).max() / len(same))


class _Chips:
    """Calibration reader for onnxruntime's static quantiser."""

    def __init__(self, chips: F32) -> None:
        self._it: Iterator[F32] = iter(chips)

    def get_next(self) -> dict[str, F32] | None:
        chip = next(self._it, None)
        return None if chip is None else {INPUT_NAME: chip[None]}


def quantise_all(fp32: Path, out_dir: Path, calib: F32) -> tuple[dict[str, Path], dict[str, Path]]:
    """int8 models: (checked for accuracy, timed only)."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    out: dict[str, Path] = {}
    for fmt in (QuantFormat.QDQ, QuantFormat.QOperator):
        dst = out_dir / f"sface_int8_{fmt.name}.onnx"
        quantize_static(
            str(fp32),
            str(dst),
            _Chips(calib),
            quant_format=fmt,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        out[f"int8 {fmt.name} mm"] = dst
    out["int8 QOp pct"] = out_dir / "sface_int8_percentile.onnx"
    quantise(fp32, out["int8 QOp pct"], calib)
    dst = out_dir / "sface_int8_dynamic.onnx"
    quantize_dynamic(str(fp32), str(dst), per_channel=True, weight_type=QuantType.QInt8)
    # ConvInteger: about 200 ms per face, so its accuracy pass (3500 crops) is not run.
    return out, {"int8 dynamic": dst}


def int8_report(lfw: Path, fp32: Path, tmp: Path, reps: int) -> None:
    pairs = lfw_pairs(lfw, {5, 6, 7, 8})
    used = {p for a, b, _ in pairs for p in (a, b)}
    pool = sorted(f"images/{p.name}" for p in (lfw / "images").glob("*.jpg"))
    pool = [p for p in pool if p not in used]
    calib_names = pool[:: max(1, len(pool) // 200)][:200]
    print(
        f"\nint8: calibration on {len(calib_names)} images outside the pairs of folds 5-8; "
        f"accuracy on the {len(pairs)} pairs of folds 5-8"
    )
    t0 = time.perf_counter()
    models, slow = quantise_all(fp32, tmp, crops([lfw / n for n in calib_names]))
    print(f"quantisation took {time.perf_counter() - t0:.0f} s")
    names = sorted(used)
    index = {n: i for i, n in enumerate(names)}
    x = crops([lfw / n for n in names])
    timings({"optimised": fp32, **models}, x, reps, [1])
    timings(slow, x, 5, [1])
    same = np.array([s for _, _, s in pairs])
    ia = np.array([index[a] for a, _, _ in pairs])
    ib = np.array([index[b] for _, b, _ in pairs])
    threads = len(_ALL_CPUS) or 1
    ref = normalise(run(session(fp32, threads), x, 8))
    print(f"{'model':16s} {'best-thr acc %':>14s} {'mean cos vs fp32':>17s} {'min cos':>8s}")
    acc = best_accuracy(np.sum(ref[ia] * ref[ib], axis=1).astype(np.float64), same)
    print(f"{'fp32 optimised':16s} {100 * acc:14.2f} {1.0:17.5f} {1.0:8.5f}")
    for name, path in models.items():
        emb = normalise(run(session(path, threads), x, 8))
        cos = np.sum(emb * ref, axis=1)
        acc = best_accuracy(np.sum(emb[ia] * emb[ib], axis=1).astype(np.float64), same)
        print(f"{name:16s} {100 * acc:14.2f} {cos.mean():17.5f} {cos.min():8.5f}", flush=True)


def _input_name(model: Path) -> str:
    return str(ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).get_inputs()[0].name)


def write_ranges(name: str, faces: Path) -> int:
    """Refit an int8 pack's committed activation ranges on the faces of ``faces`` (see the module doc)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.calibrate import load_tensors_data

    from faceprint.engine import Engine
    from faceprint.engine.recognizers.int8 import RECIPES
    from faceprint.engine.recognizers.int8 import write_ranges as store
    from faceprint.errors import FaceprintError

    recipe = RECIPES[name]
    engine = Engine.from_settings(Settings(inference_threads=1))
    rec = engine.recognizer(recipe.pack)
    chips: list[F32] = []
    embed = rec.embed

    def capture(batch: F32) -> F32:  # the chips exactly as the engine feeds them to the network
        chips.append(np.array(batch, dtype=np.float32))
        return embed(batch)

    rec.embed = capture  # type: ignore[method-assign]
    for p in sorted(faces.iterdir()):
        if p.suffix.lower() not in {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"}:
            continue
        try:
            engine.detect(p.read_bytes(), embed=True, attributes=False, packs=[recipe.pack])
        except FaceprintError:
            continue
    x = np.concatenate(chips)
    if engine.packs[recipe.pack].layout == "NCHW":
        x = x.transpose(0, 3, 1, 2)
    x = np.ascontiguousarray(x)
    chips.clear()
    del engine, rec  # the Percentile calibrator holds every activation of every chip (~22 GB for SFace)
    gc.collect()
    src = Settings().model_dir / recipe.float_file
    with tempfile.TemporaryDirectory() as td:
        cache = Path(td) / "ranges.json"
        quantize_static(str(src), str(Path(td) / "q.onnx"), _Calibration(x, _input_name(src)),
                        calibration_cache_path=str(cache), quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod[recipe.method])
        data = load_tensors_data(cache).data

    def value(v: object) -> float:
        return float(np.asarray(v).reshape(()))

    ranges = {k: (value(v.range_value[0]), value(v.range_value[1])) for k, v in data.items()}
    out = REPO / "src" / "faceprint" / "engine" / "recognizers" / recipe.ranges_file
    store(recipe, ranges, len(x), out)
    print(f"{len(ranges)} ranges from {len(x)} chips of {faces} -> {out}; re-pin the int8 file's sha256")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the shipped SFace graph")
    ap.add_argument("--lfw", type=Path, default=DEFAULT_LFW, help="folder with pairs.csv and images/")
    ap.add_argument("--reps", type=int, default=100, help="timed runs per figure (batch 8: a quarter)")
    ap.add_argument("--int8", action="store_true", help="also quantise and check LFW accuracy (minutes)")
    ap.add_argument("--write-ranges", choices=["sface", "dlib"], default=None,
                    help="refit the activation ranges of that network's int8 pack")
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    args = ap.parse_args()
    if args.write_ranges:
        return write_ranges(args.write_ranges, args.faces)

    images = sorted((args.lfw / "images").glob("*.jpg"))
    sample = crops(images[:: max(1, len(images) // 64)][:64])
    print(f"onnxruntime {ort.__version__}, {len(_ALL_CPUS) or os.cpu_count()} CPUs, {len(sample)} LFW crops")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        opt = tmp / "sface_optimised.onnx"
        optimise(args.model, opt)
        models = {"shipped": args.model, "optimised": opt}
        threads = [1, 2] if len(_ALL_CPUS) >= 2 else [1]
        timings(models, sample, args.reps, threads)
        ref = normalise(run(session(args.model, 1), sample, 1))
        for batch in (1, 8):
            got = normalise(run(session(opt, 1), sample, batch))
            print(f"max |normalised shipped - optimised|, batch {batch}: {np.abs(got - ref).max():.2e}")
        if args.int8:
            int8_report(args.lfw, opt, tmp, args.reps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
