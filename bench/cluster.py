"""Clustering into people: time, memory and pairwise precision/recall, synthetic and on LFW.

    python bench/cluster.py [--sizes 10000,100000] [--lfw ../shared/lfw] [--workers 2] [--cache FILE]
                            [--skip-lfw] [--pack NAME] [--json OUT]

synthetic  ``faceprint.identity.synthetic`` descriptors (seed 0; n / 10 identities, photo counts skewed;
           the spread of SFace's cosines on LFW, see that module), clustered by ``faceprint.identity.cluster``
           at the default threshold's SFace cosine (score 0.955 -> 0.373). Each size runs in a fresh process:
           wall time of the clustering alone, the process's peak resident memory (Python, numpy, the
           descriptors and the clustering together), pairwise precision (purity) and recall (completeness)
           against the true identities.
lfw        every image of ``pairs.csv`` (folds 1-8, 150x150 thumbnails) through the real engine with the
           default recogniser (``--pack``, default the shipped default; the largest face), then the images
           of each fold clustered alone (LFW's folds are disjoint in identities) at the default threshold
           (score 0.955 through the pack's calibration): per-fold pairwise precision and
           recall, mean +- sd; folds 5-8 apart (the score calibration behind the threshold was fitted on the
           identities of folds 1-4); and all 8 folds pooled into one clustering.

Nothing here is tuned: the threshold is the recogniser's documented same-person score.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from faceprint.identity import cluster, pairwise_precision_recall  # noqa: E402
from faceprint.identity.synthetic import synthetic_faces  # noqa: E402

#: The default threshold (score 0.955, FAR 1e-3) as SFace's cosine (its calibration c1).
SFACE_COS = 0.3729


def _synthetic_child(n: int, queue: Any) -> None:
    vecs, labels = synthetic_faces(n, n // 10, seed=0)
    t0 = time.perf_counter()
    c = cluster(vecs, SFACE_COS)
    seconds = time.perf_counter() - t0
    precision, recall = pairwise_precision_recall(c.labels(n), labels)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"n": n, "identities": n // 10, "seconds": seconds, "peak_rss_mb": peak_mb, "precision": precision,
               "recall": recall, "clusters": len(c.clusters), "alone": len(c.alone), "edges": c.edges})


def synthetic(sizes: list[int]) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    out = []
    for n in sizes:
        q = ctx.Queue()
        p = ctx.Process(target=_synthetic_child, args=(n, q))
        p.start()
        res = q.get()
        p.join()
        out.append(res)
        print(f"synthetic {n:>7}: {res['seconds']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MB, pairwise "
              f"P/R {res['precision']:.4f}/{res['recall']:.4f}, {res['clusters']} clusters + {res['alone']} alone "
              f"({res['identities']} identities), {res['edges']} edges", flush=True)
    return out


def lfw_descriptors(
    lfw: Path, workers: int, cache: Path | None, pack: str
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """``{file: unit descriptor}`` of every image of pairs.csv (absent: no face), and each file's fold."""
    import lfw as lfw_bench  # bench/lfw.py

    pairs = lfw_bench.read_pairs(lfw)
    fold_of = {f: fold for fold, a, b, _ in pairs for f in (a, b)}
    if cache is not None and cache.is_file():
        with np.load(cache) as z:
            return {str(k): z[k] for k in z.files}, fold_of
    vecs = lfw_bench.describe(lfw, sorted(fold_of), [pack], workers)[pack]
    if cache is not None:
        np.savez(cache, **vecs)  # type: ignore[arg-type]
    return vecs, fold_of


def _pr(files: list[str], vecs: dict[str, np.ndarray], cos: float) -> tuple[float, float, int, float]:
    import lfw as lfw_bench

    m = np.stack([vecs[f] for f in files])
    t0 = time.perf_counter()
    c = cluster(m, cos)
    seconds = time.perf_counter() - t0
    p, r = pairwise_precision_recall(c.labels(len(files)), [lfw_bench.identity(f) for f in files])
    return p, r, len(c.clusters), seconds


def lfw_figures(lfw: Path, workers: int, cache: Path | None, pack: str) -> dict[str, Any]:
    from faceprint.engine.recognizers.packs import load_packs

    cos = load_packs()[pack].score_map.cosine(0.955)
    print(f"lfw with {pack}: score 0.955 is cosine {cos:.4f}", flush=True)
    vecs, fold_of = lfw_descriptors(lfw, workers, cache, pack)
    per_fold = {}
    for k in sorted(set(fold_of.values())):
        files = sorted(f for f, fold in fold_of.items() if fold == k and f in vecs)
        p, r, n_clusters, seconds = _pr(files, vecs, cos)
        per_fold[k] = {"images": len(files), "precision": p, "recall": r, "clusters": n_clusters}
        print(f"lfw fold {k}: {len(files)} images, pairwise P/R {p:.3f}/{r:.3f}, {n_clusters} clusters", flush=True)
    out: dict[str, Any] = {"pack": pack, "folds": per_fold, "missing_faces": len(fold_of) - len(vecs)}
    for name, folds in (("folds 1-8", range(1, 9)), ("folds 5-8 (held out)", range(5, 9))):
        ps = [per_fold[k]["precision"] for k in folds]
        rs = [per_fold[k]["recall"] for k in folds]
        out[name] = {"precision": [float(np.mean(ps)), float(np.std(ps))],
                     "recall": [float(np.mean(rs)), float(np.std(rs))]}
        print(f"lfw {name}: pairwise precision {np.mean(ps):.3f} +- {np.std(ps):.3f}, "
              f"recall {np.mean(rs):.3f} +- {np.std(rs):.3f}")
    files = sorted(f for f in fold_of if f in vecs)
    p, r, n_clusters, seconds = _pr(files, vecs, cos)
    out["pooled"] = {"images": len(files), "precision": p, "recall": r, "clusters": n_clusters, "seconds": seconds}
    print(f"lfw pooled: {len(files)} images, pairwise P/R {p:.3f}/{r:.3f}, {n_clusters} clusters, {seconds:.2f} s")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="synthetic sizes, comma-separated ('' for none)")
    ap.add_argument("--lfw", type=Path, default=REPO.parent / "shared" / "lfw")
    ap.add_argument("--skip-lfw", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=None, help="an .npz to keep the LFW descriptors between runs")
    ap.add_argument("--pack", default=None, help="recogniser pack for LFW (default: the shipped default)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    res: dict[str, Any] = {}
    if args.sizes:
        res["synthetic"] = synthetic([int(s) for s in args.sizes.split(",")])
    if not args.skip_lfw:
        if not (args.lfw / "pairs.csv").is_file():
            print(f"no pairs.csv in {args.lfw}: LFW skipped", file=sys.stderr)
        else:
            from faceprint.engine.recognizers.packs import load_packs, resolve_pack

            pack = args.pack or resolve_pack(load_packs()).name
            res["lfw"] = lfw_figures(args.lfw, args.workers, args.cache, pack)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
