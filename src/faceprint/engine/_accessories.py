"""Estimators for what no shipped model detects: mask, sunglasses, glasses, moustache/beard, cap, helmet.

Each is a small logistic model over a handful of pixel statistics of face parts (see ``_regions``):
darkness, colour distance from the face's own skin, texture, measured on the face mesh's upright crop.
Coefficients were fitted by ``bench/eval_attributes.py --fit`` (identity-disjoint cross-validation figures
in docs/attributes.md): mask and sunglasses on the evaluation photos plus synthetic masks and sunglasses
drawn on unmasked faces; moustache on the photos alone. Cap, helmet and glasses (issue 15) also on the LFW
thumbnails of the fit half of LFW's people (bench/lfw_attributes.py), with our eye-labels: every LFW
thumbnail is a cap and helmet negative unless eye-labelled as wearing one, and the cap and helmet thresholds
flag at most 3 % of them; glasses use only the eye-labelled LFW thumbnails. Helmet positives are synthetic
helmets drawn on the photos (plus 6 real ones in LFW). The probabilities are the logistic outputs: ordered,
roughly calibrated on those photos, not guaranteed probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from faceprint.engine._regions import FaceRegions, PartStats, median

__all__ = ["FEATURES", "HELMET_OVER_CAP", "MODELS", "LogisticModel", "accessory_features", "predict_accessories"]

#: When both the cap and the helmet model fire, the helmet stands (and the cap is dropped) only at this
#: helmet probability or above; below it the cap stands and the helmet is dropped. Both models fire on most
#: headwear: on LFW's held-out people the helmet model fired with the cap model on 73 thumbnails, nearly all
#: caps and hats; this releases 30 of them to the cap and keeps 95 of 102 synthetic helmets (96 without it).
HELMET_OVER_CAP = 0.95


def _ylog(y: float, ref: float) -> float:
    return math.log((y + 8.0) / (ref + 8.0))


def accessory_features(fr: FaceRegions) -> dict[str, float]:
    """The named statistics the accessory models read (dimensionless, roughly -3..3)."""
    ys, cbs, crs, spread, _ = fr.skin
    st = {k: fr.stats(k) for k in ("mouth", "philtrum", "chin", "nose", "eye_open", "eye_ring", "under_eye",
                                   "bridge", "forehead", "cheeks", "above", "eyebrow", "temple")}
    m = fr.masks
    norm = ys + 8.0

    def med(sel: np.ndarray) -> tuple[float, float, float]:
        idx = np.flatnonzero(sel)
        if idx.size < 4:
            return ys, cbs, crs
        return median(fr.y.ravel()[idx]), median(fr.cb.ravel()[idx]), median(fr.cr.ravel()[idx])

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
        "eye_vs_mid_y": _ylog(median(eye_y), mid[0]),
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
        "philtrum_flat_std": median(fr.local_std[m["philtrum"]]) / norm if m["philtrum"].sum() else 0.0,
        "jaw_vs_skin_y": _ylog(med(m["jaw"])[0], ys),
        "jaw_std": median(fr.local_std[m["jaw"]]) / norm if m["jaw"].sum() else 0.0,
        "philtrum_vs_mouth_y": _ylog(st["philtrum"].y, st["mouth"].y),
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
    f.update(_helmet_features(fr, st["above"], st["temple"], mid, chroma))
    f.update(_brim_features(fr, norm))
    f["above_foreign"] = st["above"].foreign
    f["forehead_std"] = median(fr.local_std[m["forehead"]]) / norm if m["forehead"].sum() else 0.0
    return f


def _brim_features(fr: FaceRegions, norm: float) -> dict[str, float]:
    """A cap's brim or band: one level edge across the face between the brows and the crown.

    ``brim_edge``: the strongest row-mean vertical luma gradient over the central columns (/ skin luma): a
    brim's edge keeps one sign across the face, a fringe's strands and a hairline's ragged edge mostly cancel
    (on LFW's cap-model positives it tells real caps from hair alone with an AUC of 0.88)."""
    p = fr.pts
    top, fore = p[10], p[151]
    up = top - fore
    x0, x1 = float(p[234, 0]), float(p[454, 0])
    w = x1 - x0
    c0, c1 = int(max(0, x0 + 0.2 * w)), int(min(fr.y.shape[1], x1 - 0.2 * w))
    r0, r1 = int(max(0, top[1] + up[1] * 1.5)), int(min(fr.y.shape[0], p[9, 1]))
    if c1 - c0 < 4 or r1 - r0 < 4:
        return {"brim_edge": 0.0}
    gy = np.gradient(fr.y, axis=0)[r0:r1, c0:c1]
    ok = fr.valid[r0:r1, c0:c1]
    signed = np.abs((gy * ok).sum(axis=1)) / np.maximum(ok.sum(axis=1), 1)
    return {"brim_edge": float(signed.max()) / norm}


def _helmet_features(fr: FaceRegions, above: PartStats, temple: PartStats, mid: tuple[float, float, float],
                     chroma: Callable[[tuple[float, float, float], tuple[float, float, float]], float]
                     ) -> dict[str, float]:
    """A helmet's shell: the band above the forehead and the temples in one smooth, often bright or
    saturated colour unlike skin and hair. Parts mostly outside the photo read as neutral (0)."""
    m = fr.masks

    def smooth(name: str, part: PartStats) -> float:
        return median(fr.local_std[m[name]]) / (part.y + 8.0) if part.n >= 20 else 0.0

    def spread(name: str, part: PartStats, q: float) -> float:
        # The part's q-th luma percentile against its median: a shell's highlight (97) and shading (5).
        if part.n < 20:
            return 0.0
        return (float(np.percentile(fr.y[m[name]], q)) - part.y) / (part.y + 8.0)

    a = (above.y, above.cb, above.cr)
    t = (temple.y, temple.cb, temple.cr)
    ok_a, ok_t = above.n >= 20, temple.n >= 20
    return {
        "above_c": chroma(a, mid) if ok_a else 0.0,
        "above_sat": math.hypot(above.cb - 128.0, above.cr - 128.0) / 32.0 if ok_a else 0.0,
        "above_std": smooth("above", above),
        "temple_std": smooth("temple", temple),
        "temple_vs_above_c": chroma(t, a) if ok_a and ok_t else 0.0,
        "above_hi": spread("above", above, 97.0),
        "above_lo": spread("above", above, 5.0),
    }


#: Which features each model reads.
FEATURES: dict[str, list[str]] = {
    "mask": ["lower_vs_upper_y", "lower_vs_upper_c", "nose_vs_upper_y", "nose_vs_upper_c", "mouth_grad",
             "philtrum_grad", "lower_flat", "lower_sat"],
    "sunglasses": ["eye_vs_mid_y", "eye_p90_vs_mid", "eye_grad", "under_eye_vs_mid_y", "under_eye_c",
                   "ring_dark"],
    "glasses": ["bridge_gy", "bridge_grad", "ring_grad", "under_eye_grad"],
    "mustache": ["philtrum_vs_skin_y", "chin_vs_skin_y", "jaw_vs_skin_y", "philtrum_vs_mouth_y", "jaw_std",
                 "philtrum_flat_std"],
    "cap": ["forehead_vs_mid_y", "forehead_c", "forehead_foreign", "forehead_grad", "above_vs_forehead_y",
            "above_flat", "brow_foreign", "brim_edge", "forehead_std", "above_foreign", "above_c"],
    "helmet": ["above_c", "above_sat", "above_std", "above_flat", "temple_std", "temple_vs_above_c",
               "above_hi", "above_lo", "above_foreign", "brim_edge", "forehead_std"],
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
        mean=[-0.27337, 1.9314, -0.12204, 1.6384, 0.057957, 0.03845, 0.062791, 0.79252],
        std=[0.39183, 2.1352, 0.38206, 2.1959, 0.03347, 0.024185, 0.13465, 0.36784],
        weights=[0.12331, 1.0016, 0.3603, 0.98244, -1.8433, -0.52042, 1.3357, -1.8829],
        bias=-3.3784,
        threshold=0.5,
    ),
    "sunglasses": LogisticModel(
        FEATURES["sunglasses"],
        mean=[-0.92098, -0.43676, 0.075165, -0.37686, 2.1701, 0.43466],
        std=[0.55198, 0.69011, 0.045297, 0.69686, 2.1262, 0.31014],
        weights=[1.2214, -0.97567, -1.965, -1.5891, 0.51328, 2.0632],
        bias=-4.3341,
        threshold=0.5,
    ),
    "glasses": LogisticModel(
        FEATURES["glasses"],
        mean=[0.036307, 0.067229, 0.067209, 0.056441],
        std=[0.02771, 0.039698, 0.025211, 0.030705],
        weights=[1.761, 0.64064, 0.077475, -1.0787],
        bias=-0.3965,
        threshold=0.6737,
    ),
    "mustache": LogisticModel(
        FEATURES["mustache"],
        mean=[-0.22375, -0.15961, -0.21899, 0.10931, 0.043622, 0.062925],
        std=[0.28713, 0.2786, 0.286, 0.23123, 0.024205, 0.031229],
        weights=[-1.8502, -0.68309, -0.54443, -0.66522, 1.0522, 3.3048],
        bias=-4.1594,
        threshold=0.5,
    ),
    "cap": LogisticModel(
        FEATURES["cap"],
        mean=[0.068384, 0.86375, 0.018005, 0.019333, -0.31797, 0.087109, 0.17889, 0.065135, 0.023321, 0.3126, 1.8338],
        std=[0.27195, 1.0336, 0.060504, 0.015266, 0.43811, 0.11095, 0.17777, 0.054339, 0.017576, 0.25442, 1.6353],
        weights=[-0.57871, -0.62571, 0.032255, 1.307, 0.18714, 0.23961, -0.44125, 1.6356, -0.71882, -0.20002, 1.382],
        bias=-1.6422,
        threshold=0.863,
    ),
    "helmet": LogisticModel(
        FEATURES["helmet"],
        mean=[1.8564, 0.83786, 0.05126, 0.093265, 0.093737, 2.1268, 0.67029, -0.49604, 0.30956, 0.074105, 0.02342],
        std=[1.649, 0.47989, 0.039683, 0.11842, 0.059897, 1.6364, 0.96622, 0.22052, 0.25853, 0.1034, 0.017524],
        weights=[0.91651, 0.76471, 0.38443, 0.71785, -3.2779, -2.1546, 0.81845, 0.16022, -0.49633, 1.308, 0.59513],
        bias=-5.7096,
        threshold=0.7309,
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
