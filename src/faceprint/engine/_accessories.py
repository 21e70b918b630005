"""Estimators for what no shipped model detects: mask, sunglasses, glasses, moustache/beard, cap, helmet.

Each is a small logistic model over a handful of pixel statistics of face parts (see ``_regions``):
darkness, colour distance from the face's own skin, texture, measured on the face mesh's upright crop.
Coefficients were fitted by ``bench/eval_attributes.py --fit`` (identity-disjoint cross-validation figures
in docs/attributes.md): mask and sunglasses on the evaluation photos plus synthetic masks and sunglasses
drawn on unmasked faces; glasses, moustache and cap on the photos alone. The probabilities are the
logistic outputs: ordered, roughly calibrated on those photos, not guaranteed probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from faceprint.engine._regions import FaceRegions

__all__ = ["FEATURES", "MODELS", "LogisticModel", "accessory_features", "predict_accessories"]


def _ylog(y: float, ref: float) -> float:
    return math.log((y + 8.0) / (ref + 8.0))


def accessory_features(fr: FaceRegions) -> dict[str, float]:
    """The named statistics the accessory models read (dimensionless, roughly -3..3)."""
    ys, cbs, crs, spread, _ = fr.skin
    st = {k: fr.stats(k) for k in ("mouth", "philtrum", "chin", "nose", "eye_open", "eye_ring", "under_eye",
                                   "bridge", "forehead", "cheeks", "above", "eyebrow")}
    m = fr.masks
    norm = ys + 8.0

    def med(sel: np.ndarray) -> tuple[float, float, float]:
        if sel.sum() < 4:
            return ys, cbs, crs
        return float(np.median(fr.y[sel])), float(np.median(fr.cb[sel])), float(np.median(fr.cr[sel]))

    def chroma(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
        return min(math.hypot(a[1] - b[1], a[2] - b[2]) / (spread + 2.0), 10.0)

    upper = med(m["forehead"] | m["under_eye"])
    lower = med(m["mouth"] | m["philtrum"] | m["chin"])
    mid = med(m["cheeks"] | m["nose"])
    eye_y = fr.y[m["eye_open"]] if m["eye_open"].sum() >= 4 else np.array([ys])
    gy = np.abs(np.gradient(fr.y, axis=0))
    bridge_gy = float(gy[m["bridge"]].mean() / norm) if m["bridge"].sum() >= 4 else 0.0
    f: dict[str, float] = {
        # mask
        "lower_vs_upper_y": _ylog(lower[0], upper[0]),
        "lower_vs_upper_c": chroma(lower, upper),
        "nose_vs_upper_y": _ylog(st["nose"].y, upper[0]),
        "nose_vs_upper_c": chroma((st["nose"].y, st["nose"].cb, st["nose"].cr), upper),
        "mouth_grad": st["mouth"].grad * (st["mouth"].y + 8.0) / norm,
        "philtrum_grad": st["philtrum"].grad * (st["philtrum"].y + 8.0) / norm,
        "lower_flat": (st["mouth"].flat + st["philtrum"].flat + st["chin"].flat) / 3.0,
        "lower_sat": math.hypot(lower[1] - 128.0, lower[2] - 128.0) / 32.0,
        # sunglasses
        "eye_vs_mid_y": _ylog(float(np.median(eye_y)), mid[0]),
        "eye_p90_vs_mid": _ylog(float(np.percentile(eye_y, 90)), mid[0]),
        "eye_grad": st["eye_open"].grad * (st["eye_open"].y + 8.0) / norm,
        "under_eye_vs_mid_y": _ylog(st["under_eye"].y, mid[0]),
        "under_eye_c": chroma((st["under_eye"].y, st["under_eye"].cb, st["under_eye"].cr), mid),
        "ring_dark": st["eye_ring"].dark,
        # glasses
        "bridge_gy": bridge_gy,
        "bridge_grad": st["bridge"].grad * (st["bridge"].y + 8.0) / norm,
        "ring_grad": st["eye_ring"].grad * (st["eye_ring"].y + 8.0) / norm,
        "under_eye_grad": st["under_eye"].grad * (st["under_eye"].y + 8.0) / norm,
        # moustache / beard
        "philtrum_vs_mid_y": _ylog(st["philtrum"].y, mid[0]),
        "chin_vs_mid_y": _ylog(st["chin"].y, mid[0]),
        "chin_grad": st["chin"].grad * (st["chin"].y + 8.0) / norm,
        "philtrum_dark": st["philtrum"].dark,
        "philtrum_vs_skin_y": _ylog(st["philtrum"].y, ys),
        "chin_vs_skin_y": _ylog(st["chin"].y, ys),
        "philtrum_flat_std": float(np.median(fr.local_std[m["philtrum"]])) / norm if m["philtrum"].sum() else 0.0,
        "chin_dark": st["chin"].dark,
        # cap / hat / helmet
        "forehead_vs_mid_y": _ylog(st["forehead"].y, mid[0]),
        "forehead_c": chroma((st["forehead"].y, st["forehead"].cb, st["forehead"].cr), mid),
        "forehead_foreign": st["forehead"].foreign,
        "forehead_grad": st["forehead"].grad * (st["forehead"].y + 8.0) / norm,
        "above_vs_forehead_y": _ylog(st["above"].y, st["forehead"].y),
        "above_flat": st["above"].flat,
        "brow_foreign": st["eyebrow"].foreign,
    }
    return f


#: Which features each model reads.
FEATURES: dict[str, list[str]] = {
    "mask": ["lower_vs_upper_y", "lower_vs_upper_c", "nose_vs_upper_y", "nose_vs_upper_c", "mouth_grad",
             "philtrum_grad", "lower_flat", "lower_sat"],
    "sunglasses": ["eye_vs_mid_y", "eye_p90_vs_mid", "eye_grad", "under_eye_vs_mid_y", "under_eye_c",
                   "ring_dark"],
    "glasses": ["bridge_gy", "bridge_grad", "ring_grad", "under_eye_grad"],
    "mustache": ["philtrum_vs_mid_y", "chin_vs_mid_y", "philtrum_grad", "chin_grad", "philtrum_dark",
                 "chin_dark", "philtrum_vs_skin_y", "chin_vs_skin_y", "philtrum_flat_std"],
    "cap": ["forehead_vs_mid_y", "forehead_c", "forehead_foreign", "forehead_grad", "above_vs_forehead_y",
            "above_flat", "brow_foreign"],
}


class LogisticModel:
    """p = sigmoid(bias + sum(w_i * (x_i - mean_i) / std_i)); ``threshold`` on p gives the decision."""

    def __init__(self, names: Sequence[str], mean: Sequence[float], std: Sequence[float],
                 weights: Sequence[float], bias: float, threshold: float = 0.5) -> None:
        self.names = list(names)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bias = float(bias)
        self.threshold = float(threshold)

    def probability(self, features: Mapping[str, float]) -> float:
        x = np.array([features[n] for n in self.names], dtype=np.float64)
        z = self.bias + float(((x - self.mean) / self.std) @ self.weights)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


# --- fitted coefficients (bench/eval_attributes.py --fit); do not edit by hand -------------------------
MODELS: dict[str, LogisticModel] = {
    "mask": LogisticModel(
        FEATURES["mask"],
        mean=[-0.27395, 1.935, -0.12376, 1.6415, 0.057914, 0.038386, 0.062906, 0.79252],
        std=[0.38986, 2.1367, 0.3784, 2.1974, 0.033186, 0.024132, 0.13504, 0.36788],
        weights=[0.13217, 0.97789, 0.33378, 0.97815, -1.8996, -0.45758, 1.3378, -1.8806],
        bias=-3.3691,
        threshold=0.5,
    ),
    "sunglasses": LogisticModel(
        FEATURES["sunglasses"],
        mean=[-0.92251, -0.43419, 0.074677, -0.37583, 2.1688, 0.43376],
        std=[0.55341, 0.68975, 0.044251, 0.69675, 2.1281, 0.31012],
        weights=[1.2151, -0.97123, -1.9066, -1.6058, 0.50918, 2.0788],
        bias=-4.3828,
        threshold=0.5,
    ),
    "glasses": LogisticModel(
        FEATURES["glasses"],
        mean=[0.039116, 0.069993, 0.073342, 0.059978],
        std=[0.029093, 0.036463, 0.02095, 0.018578],
        weights=[1.7455, 1.1025, -0.36208, -0.10353],
        bias=-0.31151,
        threshold=0.7114,
    ),
    "mustache": LogisticModel(
        FEATURES["mustache"],
        mean=[-0.19385, -0.13033, 0.047519, 0.032936, 0.13429, 0.074403, -0.22407, -0.16055, 0.062824],
        std=[0.24189, 0.24403, 0.018553, 0.015602, 0.19074, 0.18389, 0.2856, 0.27736, 0.031127],
        weights=[-0.65048, 0.38827, -0.62088, 0.51948, -0.35712, -0.32029, -2.1477, -1.3027, 3.7393],
        bias=-3.7006,
        threshold=0.5,
    ),
    "cap": LogisticModel(
        FEATURES["cap"],
        mean=[0.12956, 1.6542, 0.027896, 0.019119, -0.34042, 0.034758, 0.29659],
        std=[0.38942, 2.2077, 0.083017, 0.015062, 0.40282, 0.068704, 0.1961],
        weights=[-0.7091, -0.79526, 0.70265, 0.83458, -0.57422, -0.082197, -0.45018],
        bias=-0.53824,
        threshold=0.7775,
    ),
}
# --- end of fitted coefficients -------------------------------------------------------------------------


def predict_accessories(features: Mapping[str, float]) -> dict[str, tuple[float, bool]]:
    """(probability 0..1, decision at the model's threshold) of each accessory (keys of :data:`MODELS`)."""
    out: dict[str, tuple[float, bool]] = {}
    for name, model in MODELS.items():
        p = model.probability(features)
        out[name] = (p, p >= model.threshold)
    return out
