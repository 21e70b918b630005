"""The 128-D face descriptor: dlib's ResNet, rebuilt as ONNX (:mod:`faceprint.engine.dlib_onnx`), on onnxruntime.

Give it chips cut by :func:`faceprint.engine.align.extract_chip` (150x150, padding 0.25). On the same
chip its raw output equals ``dlib.face_recognition_model_v1.compute_face_descriptor(chip)`` to about
1e-7 per component (:meth:`Embedder.raw`); :meth:`Embedder.embed` then L2-normalises it, so that
descriptors compare by cosine similarity / dot product. dlib's own vectors are not unit-length (norms
of about 1.2 to 1.5 are usual), and its "same person below 0.6" Euclidean rule applies to the raw
vectors, not to these.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from faceprint.engine.dlib_onnx import INPUT_NAME, OUTPUT_NAME
from faceprint.engine.recognizers.base import unit_rows
from faceprint.engine.types import FloatArray
from faceprint.errors import InternalError, ModelMissing

__all__ = ["CHIP_PADDING", "CHIP_SIZE", "DESCRIPTOR_DIM", "Embedder"]

log = logging.getLogger(__name__)

#: Chip side (pixels) and padding the network was trained on (dlib's dnn_face_recognition_ex.cpp).
CHIP_SIZE = 150
CHIP_PADDING = 0.25
DESCRIPTOR_DIM = 128


class Embedder:
    """Face descriptors on onnxruntime. Thread-safe: concurrent ``embed`` calls share one session."""

    def __init__(self, model_path: Path, threads: int | None = None, batch_size: int = 16) -> None:
        """``model_path``: the generated ``dlib_face_recognition_resnet_model_v1.onnx``.

        ``threads``: onnxruntime intra-op threads (None or 0: ``os.cpu_count()``); inter-op is 1.
        ``batch_size``: chips per session run (bounds memory: about 6 MB of activations per chip).
        Raises :class:`~faceprint.errors.ModelMissing` if the file is absent or not a model.
        """
        self.model_path = Path(model_path)
        self.threads = threads or os.cpu_count() or 1
        self.batch_size = max(1, int(batch_size))
        if not self.model_path.is_file():
            raise ModelMissing(f"Model file {self.model_path} is missing: run `faceprint models pull`.")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The API runs one engine call per core at once; spinning pool threads would then steal the
        # cores the other requests need, so idle threads sleep instead.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(self.model_path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelMissing(f"Model file {self.model_path} cannot be loaded: {exc}") from exc
        log.debug("descriptor model %s loaded, %d threads", self.model_path.name, self.threads)

    def raw(self, chips: npt.NDArray[np.uint8]) -> FloatArray:
        """dlib's unnormalised descriptors of ``chips`` (``(N, 150, 150, 3)`` RGB): ``(N, 128)`` float32."""
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        if chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise InternalError(f"Face chips must be (N, {CHIP_SIZE}, {CHIP_SIZE}, 3), got {chips.shape}.")
        out = np.empty((chips.shape[0], DESCRIPTOR_DIM), dtype=np.float32)
        for start in range(0, chips.shape[0], self.batch_size):
            batch = chips[start : start + self.batch_size].astype(np.float32)
            out[start : start + batch.shape[0]] = self._session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]
        return out

    def embed(self, chips: npt.NDArray[np.uint8]) -> FloatArray:
        """L2-normalised descriptors of ``chips``: ``(N, 128)`` float32, each of norm 1.

        ``chips``: uint8 ``(N, 150, 150, 3)`` RGB (a single ``(150, 150, 3)`` chip is taken as N=1);
        N may be 0. Cosine similarity of two descriptors is their dot product, -1..1 (higher: more alike).
        """
        return unit_rows(self.raw(chips))
