"""Per-face time of the descriptors, landmarks and chips: dlib (dlib-bin) vs Faceprint, side by side, one process;
then SFace as shipped vs the rewritten graph Faceprint runs, and its int8 form (``sface-2021dec-int8``).

    .venv/bin/python bench/descriptor.py [--quick] [--faces DIR] [--model-dir DIR]

Faces: skimage's astronaut plus the first photos of ../shared/faces (when present), found by dlib's HOG
detector; both sides get the same boxes, and the descriptor runs on the same chips (dlib's own). The
process is pinned to 1 then 2 CPUs (sched_setaffinity) for each setting; onnxruntime gets as many
intra-op threads (inter-op 1, ORT_ENABLE_ALL), dlib has no thread setting. Figures are medians, in
milliseconds per face. dlib needs the dev extra (dlib-bin); this script is never part of serving.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from faceprint.engine.align import extract_chip  # noqa: E402
from faceprint.engine.embed import Embedder  # noqa: E402
from faceprint.engine.landmarks import ShapePredictor  # noqa: E402
from faceprint.engine.recognizers.arcface import ArcFaceRecognizer  # noqa: E402
from faceprint.engine.recognizers.packs import load_packs  # noqa: E402
from faceprint.engine.types import Box  # noqa: E402
from faceprint.settings import Settings  # noqa: E402


def _median_ms(fn: Callable[[], object], reps: int, per: int = 1) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0 / per)
    return statistics.median(times)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


_ALL_CPUS: list[int] = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def _pin(n: int | None) -> bool:
    """Run on the first ``n`` allowed CPUs (None: all); False where the OS cannot pin or has fewer."""
    if not _ALL_CPUS:
        return False
    cpus = _ALL_CPUS if n is None else _ALL_CPUS[:n]
    os.sched_setaffinity(0, set(cpus))
    return n is None or len(cpus) == n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a rough figure in ~30 s)")
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    ap.add_argument("--model-dir", type=Path, default=None, help="default: the settings' model cache")
    ap.add_argument("--photos", type=int, default=6, help="photos of --faces to take faces from")
    args = ap.parse_args()
    try:
        import dlib
        import skimage.data
    except ImportError as exc:
        print(f"needs the dev extra (dlib-bin, scikit-image): {exc}")
        return 2
    model_dir = args.model_dir or Settings().model_dir
    onnx_path = model_dir / "dlib_face_recognition_resnet_model_v1.onnx"
    if not onnx_path.is_file():
        print(f"{onnx_path} missing: run `faceprint models pull`")
        return 2
    reps_1, reps_8, reps_small = (10, 4, 20) if args.quick else (40, 12, 100)

    images = [skimage.data.astronaut()]
    if args.faces.is_dir():
        for p in sorted(args.faces.glob("*.jpg"))[: args.photos]:
            with Image.open(p) as im:
                images.append(np.asarray(ImageOps.exif_transpose(im).convert("RGB")))
    det = dlib.get_frontal_face_detector()
    dsp = dlib.shape_predictor(str(model_dir / "shape_predictor_5_face_landmarks.dat"))
    dnet = dlib.face_recognition_model_v1(str(model_dir / "dlib_face_recognition_resnet_model_v1.dat"))
    sp = ShapePredictor(model_dir / "shape_predictor_5_face_landmarks.dat")
    faces = []  # (image, dlib rect, Box, dlib shape, our points)
    for img in images:
        for r in det(img, 0 if max(img.shape[:2]) > 900 else 1):
            box = Box(r.left(), r.top(), r.width(), r.height())
            faces.append((img, r, box, dsp(img, r), sp.predict(img, box)))
    chips = np.stack([dlib.get_face_chip(f[0], f[3]) for f in faces])
    batch8 = chips[np.arange(8) % len(chips)]
    batch8_list = list(batch8)
    print(f"{_cpu_name()}, {len(_ALL_CPUS) or os.cpu_count()} CPUs available; Python {platform.python_version()}")
    print(f"dlib {dlib.__version__}, onnxruntime {__import__('onnxruntime').__version__}; {len(faces)} faces")
    print()

    int8_path = model_dir / "dlib_face_recognition_resnet_model_v1_int8.onnx"
    rows = []
    for threads in (1, 2):
        pinned = _pin(threads)
        emb = Embedder(onnx_path, threads=threads, batch_size=8)
        q8 = Embedder(int8_path, threads=threads, batch_size=8)
        d1 = _median_ms(lambda: dnet.compute_face_descriptor(batch8_list[0]), reps_1)
        d8 = _median_ms(lambda: dnet.compute_face_descriptor(batch8_list), reps_8, per=8)
        o1 = _median_ms(lambda e=emb: e.embed(batch8[:1]), reps_1)
        o8 = _median_ms(lambda e=emb: e.embed(batch8), reps_8, per=8)
        i1 = _median_ms(lambda e=q8: e.embed(batch8[:1]), reps_1)
        i8 = _median_ms(lambda e=q8: e.embed(batch8), reps_8, per=8)
        a, b = emb.embed(chips), q8.embed(chips)
        cos = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        rows.append((threads, pinned, d1, d8, o1, o8, i1, i8, cos))

    print("descriptor, ms per face (median); int8: dlib-resnet-v1-int8, cosine to the float ONNX descriptor")
    head = f"{'threads':>7} | {'dlib b1':>8} {'dlib b8':>8} | {'ORT b1':>7} {'ORT b8':>7}"
    print(f"{head} | {'speed-up b1':>11} {'b8':>6} | {'int8 b1':>7} {'int8 b8':>7} | cos mean, min")
    for threads, pinned, d1, d8, o1, o8, i1, i8, cos in rows:
        note = "" if pinned else "  (not pinned)"
        print(f"{threads:>7} | {d1:8.1f} {d8:8.1f} | {o1:7.2f} {o8:7.2f} | {d1 / o1:10.1f}x {d8 / o8:5.1f}x | "
              f"{i1:7.2f} {i8:7.2f} | {cos.mean():.4f}, {cos.min():.4f}{note}")

    def per_face(fn: Callable[[tuple[object, ...]], object]) -> float:
        return statistics.median(_median_ms(lambda f=f: fn(f), max(3, reps_small // len(faces))) for f in faces)

    _pin(1)
    lm_d = per_face(lambda f: dsp(f[0], f[1]))
    lm_o = per_face(lambda f: sp.predict(f[0], f[2]))  # type: ignore[arg-type]
    ch_d = per_face(lambda f: dlib.get_face_chip(f[0], f[3]))
    ch_o = per_face(lambda f: extract_chip(f[0], f[4]))  # type: ignore[arg-type]
    _pin(None)
    print()
    print("landmarks and chip, ms per face (median over faces, 1 thread)")
    print(f"{'stage':>9} | {'dlib':>6} | {'Faceprint':>9}")
    print(f"{'landmarks':>9} | {lm_d:6.2f} | {lm_o:9.2f}")
    print(f"{'chip':>9} | {ch_d:6.2f} | {ch_o:9.2f}")
    _sface(model_dir, images, reps_1, reps_8)
    return 0


def _sface(model_dir: Path, images: list[np.ndarray], reps_1: int, reps_8: int) -> None:
    """SFace: the model zoo's graph vs the rewritten one, on the same 112x112 chips (O-net points)."""
    from faceprint.engine import Engine

    packs = load_packs(model_dir)
    spec = packs["sface-2021dec"]
    shipped = model_dir / "face_recognition_sface_2021dec.onnx"
    engine = Engine(model_dir, threads=1)
    rec = engine.recognizer(spec.name)
    faces = []
    for img in images:
        faces += [(img, f) for f in engine.detect(img, attributes=False).faces]
    chips = np.stack([rec.chip(img, f) for img, f in faces])
    batch8 = chips[np.arange(8) % len(chips)]
    print()
    print(f"SFace descriptor, ms per face (median), {len(faces)} faces; chips from the detector's O-net points")
    print(f"{'threads':>7} | {'shipped b1':>10} {'shipped b8':>10} | {'fast b1':>7} {'fast b8':>7} | max |diff| "
          f"| {'int8 b1':>7} {'int8 b8':>7} | cos to fast: mean, min")
    int8 = packs["sface-2021dec-int8"]
    for threads in (1, 2):
        pinned = _pin(threads)
        old = ArcFaceRecognizer(spec, shipped, threads)  # batch fixed at 1: b8 is 8 runs
        new = ArcFaceRecognizer(spec, model_dir / spec.file, threads, batch_size=8)
        q8 = ArcFaceRecognizer(int8, model_dir / int8.file, threads, batch_size=8)
        s1 = _median_ms(lambda o=old: o.embed(batch8[:1]), reps_1)
        s8 = _median_ms(lambda o=old: o.embed(batch8), reps_8, per=8)
        f1 = _median_ms(lambda n=new: n.embed(batch8[:1]), reps_1)
        f8 = _median_ms(lambda n=new: n.embed(batch8), reps_8, per=8)
        q1 = _median_ms(lambda n=q8: n.embed(batch8[:1]), reps_1)
        q8b = _median_ms(lambda n=q8: n.embed(batch8), reps_8, per=8)
        diff = float(np.abs(old.embed(batch8) - new.embed(batch8)).max())
        cos = (new.embed(chips) * q8.embed(chips)).sum(axis=1)
        note = "" if pinned else "  (not pinned)"
        print(f"{threads:>7} | {s1:10.2f} {s8:10.2f} | {f1:7.2f} {f8:7.2f} | {diff:10.1e} | {q1:7.2f} {q8b:7.2f} | "
              f"{cos.mean():.4f}, {cos.min():.4f}{note}")
    _pin(1)
    ch = statistics.median(_median_ms(lambda f=f: rec.chip(f[0], f[1]), 20) for f in faces)
    _pin(None)
    print(f"SFace chip (similarity transform + bilinear, 112x112): {ch:.2f} ms per face")


if __name__ == "__main__":
    raise SystemExit(main())
