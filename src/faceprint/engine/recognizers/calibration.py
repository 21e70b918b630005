"""Fitting a pack's score map from labelled photos: one score, one false-accept rate, whichever pack.

Given the cosine similarities of many different-person pairs (impostors), the threshold cosine for a
false-accept rate ``far`` is the smallest cosine that at most ``far`` of them reach. Each such cosine
becomes a knot of the pack's :class:`~faceprint.engine.recognizers.packs.ScoreMap` at the fixed score of
:data:`~faceprint.engine.recognizers.packs.CALIBRATION_SCORES`, so a score of 0.955 means a false-accept
rate of 1e-3 for every calibrated pack.

A rate needs enough impostor pairs to be measured: at least :data:`MIN_TAIL` of them at or above the
threshold. Rarer rates (small calibration sets) are extrapolated from a normal fitted to the upper tail of
the impostor cosines, starting from the rarest measured knot, and the result says so.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from faceprint.engine.recognizers.packs import CALIBRATION_SCORES, ScoreMap
from faceprint.errors import FaceprintError

if TYPE_CHECKING:
    from faceprint.engine.engine import Engine

__all__ = [
    "MIN_TAIL", "Calibration", "LabelledPhotos", "describe_folder", "far_at", "fit", "genuine_cosines",
    "impostor_cosines",
]

#: Impostor pairs at or above a threshold needed to measure its false-accept rate directly.
MIN_TAIL = 10
#: Smallest gap kept between two knots' cosines (a map must be strictly increasing).
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Calibration:
    """A fitted map and how it was fitted."""

    score_map: ScoreMap
    impostor_pairs: int
    #: The rates measured directly (the others were extrapolated).
    measured: tuple[float, ...]
    #: False-accept rate -> threshold cosine.
    cosines: dict[float, float]


def _pair_cosines(vectors: npt.NDArray[np.float32], labels: npt.ArrayLike, same: bool) -> npt.NDArray[np.float32]:
    """The cosine of every pair of unit ``vectors`` whose ``labels`` are equal (``same``) or differ, in row
    blocks so that memory stays ~ 64 MB whatever n."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    lab = np.asarray(labels)
    out: list[npt.NDArray[np.float32]] = []
    step = max(1, (1 << 24) // max(len(v), 1))
    for start in range(0, len(v), step):
        block = v[start : start + step] @ v.T
        rows = np.arange(start, min(start + step, len(v)))
        upper = np.arange(len(v))[None, :] > rows[:, None]
        mask = upper & ((lab[None, :] == lab[rows][:, None]) == same)
        out.append(block[mask])
    return np.concatenate(out) if out else np.empty(0, np.float32)


def impostor_cosines(vectors: npt.NDArray[np.float32], labels: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """The cosine of every pair of unit ``vectors`` with different ``labels`` (n (n - 1) / 2 at most)."""
    return _pair_cosines(vectors, labels, same=False)


def genuine_cosines(vectors: npt.NDArray[np.float32], labels: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """The cosine of every pair of unit ``vectors`` with the same label."""
    return _pair_cosines(vectors, labels, same=True)


def far_at(impostors: npt.NDArray[np.floating], cosine: float) -> float:
    """The share of impostor cosines at or above ``cosine``."""
    return float(np.count_nonzero(impostors >= cosine)) / max(len(impostors), 1)


def _threshold(sorted_desc: npt.NDArray[np.float64], far: float) -> float:
    """The smallest cosine that at most ``far`` of the impostors reach: just above the k-th highest."""
    k = math.floor(far * len(sorted_desc))  # impostors allowed at or above the threshold
    return float(np.nextafter(sorted_desc[k], np.inf))


def fit(impostors: npt.ArrayLike, version: int, fitted_on: str) -> Calibration:
    """A score map (calibration ``version``) from impostor cosines; raises ValueError for fewer than 100."""
    imp = np.sort(np.asarray(impostors, dtype=np.float64))[::-1]
    n = len(imp)
    if n < 100:
        raise ValueError(f"calibration needs at least 100 different-person pairs, got {n}")
    cosines: dict[float, float] = {}
    measured: list[float] = []
    for far in sorted(CALIBRATION_SCORES, reverse=True):
        if far * n >= MIN_TAIL:
            cosines[far] = _threshold(imp, far)
            measured.append(far)
    # the rarer rates: a normal fitted to the top 10 % of the impostors (at least 50 of them), continued
    # from the rarest measured knot
    tail = imp[: max(50, n // 10)]
    mu, sigma = float(imp.mean()), float(imp.std())
    tail_sigma = max(float(tail.std()), 1e-3, sigma / 4)
    last_far = measured[-1]
    for far in sorted(CALIBRATION_SCORES, reverse=True):
        if far not in cosines:
            z = float(norm.isf(far)) - float(norm.isf(last_far))
            cosines[far] = cosines[last_far] + z * max(tail_sigma, sigma)
    knots: list[tuple[float, float]] = [(-1.0, 0.0)]
    for far in sorted(CALIBRATION_SCORES, reverse=True):
        c = min(max(cosines[far], knots[-1][0] + _EPS), 1.0 - _EPS * (len(CALIBRATION_SCORES) + 1))
        knots.append((c, CALIBRATION_SCORES[far]))
    knots.append((1.0, 1.0))
    note = f"{fitted_on}; {n} different-person pairs, measured down to FAR {measured[-1]:g}"
    if len(measured) < len(CALIBRATION_SCORES):
        note += f", rarer rates extrapolated (normal tail, mean {mu:.3f})"
    return Calibration(ScoreMap(version, tuple(knots), note), n, tuple(measured), cosines)


@dataclass(frozen=True, slots=True)
class LabelledPhotos:
    """The descriptors of a folder's labelled photos by one pack."""

    files: list[str]
    identities: list[str]
    #: Unit descriptors, one row per file (the largest face).
    vectors: npt.NDArray[np.float32]
    #: Photos whose face was not found (or could not be read).
    missed: list[str]


def read_labels(folder: Path) -> list[tuple[str, str]]:
    """``(file, identity)`` of ``labels.csv`` in ``folder`` (columns ``file``, ``identity``, optional
    ``faces``: rows with another count than 1 are skipped, as are empty and ``unknown`` identities)."""
    path = Path(folder) / "labels.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: a calibration folder holds labels.csv (file, identity)")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"file", "identity"} <= set(rows[0]):
        raise ValueError(f"{path} needs the columns file and identity")
    return [
        (r["file"], r["identity"]) for r in rows
        if r["identity"] not in ("", "unknown") and r.get("faces", "1") in ("1", "", None)
    ]


def describe_folder(
    engine: Engine, folder: Path, pack: str, progress: Callable[[int, int], None] | None = None
) -> LabelledPhotos:
    """The descriptor (by ``pack``) of the largest face of every labelled photo of ``folder``."""
    labels = read_labels(folder)
    files: list[str] = []
    ids: list[str] = []
    vecs: list[npt.NDArray[np.float32]] = []
    missed: list[str] = []
    for i, (name, identity) in enumerate(labels):
        try:
            face, _ = engine.largest_face((Path(folder) / name).read_bytes(), attributes=False, packs=[pack])
        except (FaceprintError, OSError):
            missed.append(name)
        else:
            if face.embedding is not None:
                files.append(name)
                ids.append(identity)
                vecs.append(face.embedding)
        if progress is not None:
            progress(i + 1, len(labels))
    dim = engine.packs[pack].dim
    matrix = np.stack(vecs).astype(np.float32) if vecs else np.empty((0, dim), np.float32)
    return LabelledPhotos(files, ids, matrix, missed)
