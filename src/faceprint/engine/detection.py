"""Face detection: BlazeFace full-range over a scale pyramid, checked by MTCNN's O-net, boxes in dlib's
convention.

Why this design (figures and the command that measures them: ``docs/detection.md``,
``bench/detectors.py``):

* **BlazeFace full-range** finds faces whose size is ~16 to ~80 pixels in its input reliably. One pass
  on the image letterboxed to 192x192 therefore misses faces under ~8 % of the long side. Here it runs
  on a *pyramid*: the first level scales the image so that a ``min_face`` face becomes 16 pixels, each
  next level is 4 times smaller, and the last one brings the image's short side to 80 pixels. Each level
  is one inference on a canvas of the scaled image's own size (:mod:`faceprint.engine._blazeface`
  adapts the network to any multiple of 32); a level larger than 512x512 is cut into 512x512 tiles that
  overlap by 128 pixels, so a large photo (4000x3000) keeps its small faces.
* Candidates of all levels and tiles are merged by weighted NMS, then each one is shown to **MTCNN's
  O-net** (48x48, ~0.5 ms per face): BlazeFace alone fires at scores 0.5-0.7 on sideways and upside-down
  faces and on some textures; the O-net, trained on upright faces only, rejects most of them, which
  keeps the engine's "rotate and try again" step honest.
* **Which way up** (issue 15): BlazeFace, YuNet and the O-net all accept some upside-down and sideways
  faces and place their points on them as on upright ones; the O-net, shown the face's crop turned 90,
  180 and 270 degrees too, scores the right way up highest, so a face it prefers turned is no upright face
  (:data:`TURN_MARGIN`) and the engine's quarter-turn search runs.
* **YuNet** (OpenCV model zoo, :mod:`faceprint.engine._yunet`) partners BlazeFace where it is unsure (no
  face, a candidate turned down, a face under :data:`UNSURE_BELOW`: masked faces), on one 640x480 canvas,
  adding the upright faces BlazeFace missed (:data:`PARTNER`).
* The face **box follows dlib's frontal-detector convention** (what dlib's 5-point shape predictor was
  trained on): a linear map from BlazeFace's box and 6 keypoints, fitted on the labelled photos where
  both detectors agree (coefficients below).

Boxes are ``Box(left, top, width, height)`` in pixels of the given image, ``width`` and ``height`` being
the side of dlib's rectangle: its last column is ``left + width - 1`` (the box is centred on
``left + (width - 1) / 2``, see :func:`dlib_boxes`), so ``Box.right`` (``left + width``) is one past it.
``Detection.keypoints`` are BlazeFace's 6 points in image pixels: the eye on
the image's left (the person's right eye), the other eye, nose tip, mouth centre, the ear tragion on the
image's left, the other ear tragion.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from faceprint.engine._blazeface import CANVAS_MULTIPLE, BlazeFaceFullRange, RawDetections
from faceprint.engine._mtcnn import ONet
from faceprint.engine._nms import iou_matrix, weighted_nms
from faceprint.engine._pool import InstancePool
from faceprint.engine._yunet import YuNet, YuNetRaw, keypoints6
from faceprint.engine.models import ModelStore
from faceprint.engine.types import Box, Detection, RGBImage
from faceprint.errors import InvalidArgument

__all__ = ["PARTNER", "PARTNERS", "FaceDetector", "upright_points"]

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]

#: Size (pixels of the network input) a ``min_face`` face is scaled to at the first pyramid level.
FIRST_LEVEL_FACE = 16.0
#: Largest face (network input pixels) a level is trusted with; the last level fits the short side here.
LAST_LEVEL_FACE = 80.0
#: Scale ratio between pyramid levels (each level covers faces of FIRST_LEVEL_FACE..~4x that).
LEVEL_RATIO = 4.0
#: Largest canvas side; bigger scaled images are tiled.
TILE = 512
#: Overlap of neighbouring tiles, network input pixels (> the largest face a level is trusted with).
TILE_OVERLAP = 128
#: Canvas sides are rounded up to multiples of this (fewer distinct shapes, fewer interpreters to build).
CANVAS_STEP = 2 * CANVAS_MULTIPLE
#: BlazeFace score a candidate needs (0..1).
CANDIDATE_SCORE = 0.5
#: IoU above which candidates are merged.
NMS_IOU = 0.3
#: O-net face probability a candidate needs (0..1).
VERIFY_SCORE = 0.9
#: Faces whose dlib-like box is smaller than this fraction of ``min_face`` are dropped.
MIN_FACE_SLACK = 0.6
#: A face stands upright when the O-net scores its crop as it stands higher (logit, log of face over
#: non-face probability) than turned by a quarter, a half or three quarters, by more than this margin.
#: BlazeFace, YuNet and the O-net all accept some upside-down and sideways faces (the O-net at 0.9+) and
#: place their points on them as on an upright face, but the O-net scores such a face turned the right way
#: up higher still. Chosen on the one-face photos of ../shared/faces and 150 LFW thumbnails (identities
#: outside bench/hard_sets.py's pick), each turned 0/90/180/270, and the masked group photos
#: (bench/yunet_partner.py --margins): BlazeFace's faces pass at margin > 0: 272 of 274 upright faces, 2 of
#: 58 turned ones and 138 of 140 masked ones.
TURN_MARGIN = 0.0
#: A BlazeFace face scoring at least SURE_SCORE needs only SURE_MARGIN: the O-net cannot always tell a
#: bare, upright thumbnail from its half turn (``lfw_Daisy_Fuentes_0004.jpg``: 6.9 upright, 7.1 turned;
#: BlazeFace 0.81), while BlazeFace scores the faces the wrong way up 0.50-0.76 (one at 0.87, its half
#: turn 4.8 logits ahead).
SURE_SCORE = 0.8
SURE_MARGIN = -1.0
#: The margin a YuNet face needs, and the YuNet score, on a photo where BlazeFace found no upright face (so
#: the photo's own turn is unknown: YuNet fires on most faces turned a quarter or a half, 403 on the copies
#: above, scoring up to 0.89): with both, 0 of those 403 pass and 57 of the 86 masked faces YuNet alone
#: finds. The margin is then asked of the crop of YuNet's own box as well, and a BlazeFace candidate the
#: O-net prefers turned by that margin vetoes the YuNet face it overlaps (sideways LFW thumbnails of
#: bench/hard_sets.py's turned copies, where YuNet's face passed at 0.80-0.83). Where BlazeFace found an
#: upright face, YuNet's faces need :data:`YUNET_MARGIN` (81 of 86 masked, 27 of 403 turned).
YUNET_STRICT_MARGIN = 1.0
YUNET_STRICT_SCORE = 0.8
#: Largest eye-line angle (degrees) of a YuNet face there: a more tilted face is left to the tilt search
#: (faceprint.engine.tilt), which stands it upright for its landmarks (YuNet's box, fitted on upright faces,
#: sits off a face tilted by 25 degrees).
YUNET_STRICT_ROLL = 15.0
YUNET_MARGIN = -1.0
#: How YuNet partners BlazeFace: ``none``; ``unsure`` (the default): YuNet runs on a photo where BlazeFace
#: found no face, left candidates the checks turned down, or found a face scoring under
#: :data:`UNSURE_BELOW` (masked faces do); ``always``: on every photo (+30 % time on ordinary photos, for
#: the same masked-crowd recall: bench/hard_sets.py --partner). Its faces that no BlazeFace face covers are
#: added when they stand upright (:func:`upright_points`, :data:`YUNET_MARGIN`) and score at least
#: :data:`YUNET_ALONE`, or :data:`YUNET_SCORE` with an O-net score of :data:`YUNET_ONET`.
#: (``largest_only`` detection asks YuNet only when BlazeFace found nothing.)
PARTNERS = ("none", "unsure", "always")
PARTNER = "unsure"
#: BlazeFace score (0..1) under which a face found makes the photo "unsure" (masked faces score 0.69 at
#: the median, 0.83 at the 95th percentile; upright unmasked ones 0.89 at the median).
UNSURE_BELOW = 0.8
YUNET_FILE = "face_detection_yunet_2023mar.onnx"
#: The canvas YuNet sees a photo on (width, height; turned for a portrait photo), the photo scaled down to fit
#: it: its cost grows with the area (one thread: ~4 ms at 512x384, ~7 ms at 640x480, ~21 ms at 1024x704).
YUNET_CANVAS = (640, 480)
#: YuNet score (0..1) a candidate needs at all.
YUNET_SCORE = 0.5
#: YuNet score from which a candidate is kept whatever the O-net says (masks fool the O-net).
YUNET_ALONE = 0.7
#: O-net score that keeps a YuNet candidate scoring YUNET_SCORE..YUNET_ALONE.
YUNET_ONET = 0.5
#: Largest eye-line angle (degrees, either way) of a face that counts as upright.
UPRIGHT_ROLL = 35.0
#: Least distance from the eye line down to the mouth, in eye distances, of a face that counts as upright.
UPRIGHT_MOUTH = 0.5
#: O-net's points put pixel centres at +0.5 (a mirror-symmetry check on LFW: bench/lfw_alignment.py --check);
#: this brings them to the engine's convention (centres at integers).
ONET_POINT_SHIFT = np.float32(-0.5)

# dlib-like box from BlazeFace's output, fitted by least squares (ridge 1e-3) on 181 faces of the
# labelled photos that dlib's HOG detector (upsample 1) also finds; ``bench/detectors.py --calibrate``
# refits them and checks the landmarks they give.
# Features, in units of BlazeFace's box side s and relative to its centre: [1, eye-centre x, y, mouth
# x, y, half the eye-to-eye vector x, y]; targets: dlib's box centre x, y (same units) and side / s.
_CAL = np.array(
    [
        [0.01501, -0.07838, 0.40395, 0.38687, -0.12720, 0.46477, -0.06081],  # centre x
        [-0.31049, 0.57093, 0.04106, 0.17380, 0.72724, 0.78123, -0.08059],  # centre y
        [1.28098, 1.44247, 1.36980, -0.10028, -1.00129, 0.77082, -0.17715],  # side
    ],
    np.float64,
)
# YuNet's box and points to the same dlib-like box: the same features and targets, fitted on the 189 faces
# of the labelled photos where YuNet (score >= 0.6) and the BlazeFace detector agree (IoU >= 0.5);
# ``bench/yunet_partner.py --calibrate`` refits them (cross-validated error: centre 0.02, side 0.04 box sides).
YUNET_CAL = np.array(
    [
        [-0.02553, 0.49960, 0.03007, 0.32839, -0.00571, 0.12104, -0.10319],  # centre x
        [-0.06254, -0.16787, 0.43407, 0.22134, 0.38043, 0.41242, 0.24737],  # centre y
        [0.30123, 0.32640, -0.76486, -0.40441, 0.90821, 1.56093, -0.57027],  # side
    ],
    np.float64,
)
#: The fitted side stays within these multiples of BlazeFace's side (dlib's sides span 0.75..1.15).
_SIDE_RANGE = (0.7, 1.25)


def calibration_features(boxes: F32, keypoints: F32) -> npt.NDArray[np.float64]:
    """The calibration's features ``(N, 7)`` of BlazeFace boxes ``(N, 4)`` (x1, y1, x2, y2) and
    keypoints ``(N, 6, 2)``, in units of the box side, relative to the box centre."""
    b = boxes.astype(np.float64)
    k = keypoints.astype(np.float64)
    centre = (b[:, 0:2] + b[:, 2:4]) / 2.0
    side = ((b[:, 2] - b[:, 0]) + (b[:, 3] - b[:, 1]))[:, None] / 2.0
    eyes = (k[:, 0] + k[:, 1]) / 2.0
    half_eye = (k[:, 1] - k[:, 0]) / 2.0
    return np.concatenate(
        [np.ones((len(b), 1)), (eyes - centre) / side, (k[:, 3] - centre) / side, half_eye / side], axis=1
    )


def dlib_boxes(boxes: F32, keypoints: F32, coef: npt.NDArray[np.float64] = _CAL) -> npt.NDArray[np.float64]:
    """dlib-like ``(left, top, width, height)`` ``(N, 4)`` of BlazeFace boxes and keypoints."""
    if not len(boxes):
        return np.zeros((0, 4))
    t = calibration_features(boxes, keypoints) @ coef.T
    b = boxes.astype(np.float64)
    side = ((b[:, 2] - b[:, 0]) + (b[:, 3] - b[:, 1])) / 2.0
    cx = (b[:, 0] + b[:, 2]) / 2.0 + side * t[:, 0]
    cy = (b[:, 1] + b[:, 3]) / 2.0 + side * t[:, 1]
    s = side * np.clip(t[:, 2], *_SIDE_RANGE)
    return np.stack([cx - (s - 1) / 2, cy - (s - 1) / 2, s, s], axis=1)


def upright_points(points: F32, max_roll: float = UPRIGHT_ROLL) -> bool:
    """Whether five points (eye on the image's left, other eye, nose, mouth corners; or BlazeFace's six:
    eyes, nose, mouth centre, ...) stand upright: the eye line within :data:`UPRIGHT_ROLL` of level, left
    to right (within ``max_roll``), and the mouth below the eyes by :data:`UPRIGHT_MOUTH` eye distances."""
    p = points.astype(np.float64)
    eye = p[1] - p[0]
    dist = float(np.hypot(*eye))
    if dist <= 0 or abs(math.degrees(math.atan2(eye[1], eye[0]))) > max_roll:
        return False
    mouth = (p[3] + p[4]) / 2 if len(p) == 5 else p[3]
    down = np.array([-eye[1], eye[0]]) / dist
    return float((mouth - (p[0] + p[1]) / 2) @ down) >= UPRIGHT_MOUTH * dist


def _upright(logits: F32, margin: float | npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Per row of O-net turn logits ``(N, 4)``: as it stands beats every turn by more than ``margin``."""
    out: npt.NDArray[np.bool_] = logits[:, 0] - logits[:, 1:].max(axis=1, initial=-np.inf) > margin
    return out


def _covers(box: Box, xyxy: F32) -> bool:
    """Whether ``box`` holds the centre of the ``x1, y1, x2, y2`` box or overlaps it by IoU 0.3."""
    cx, cy = (float(xyxy[0] + xyxy[2]) / 2, float(xyxy[1] + xyxy[3]) / 2)
    if box.left <= cx <= box.right and box.top <= cy <= box.bottom:
        return True
    other = Box(float(xyxy[0]), float(xyxy[1]), float(xyxy[2] - xyxy[0]), float(xyxy[3] - xyxy[1]))
    return box.iou(other) > NMS_IOU


def pyramid(width: int, height: int, min_face: float) -> list[float]:
    """Scales (network input pixels per image pixel) of the pyramid levels for an image, largest first."""
    short = float(min(width, height))
    scale = FIRST_LEVEL_FACE / min_face
    last = LAST_LEVEL_FACE / short  # the short side becomes LAST_LEVEL_FACE pixels
    scales = [scale]
    # A level is trusted with faces FIRST_LEVEL_FACE..LAST_LEVEL_FACE (a ratio of 5): the step to the
    # last level may stretch to that ratio rather than add a level almost equal to it.
    stretch = LAST_LEVEL_FACE / FIRST_LEVEL_FACE / LEVEL_RATIO
    while scale > last * 1.0001:
        scale = scale / LEVEL_RATIO if scale / LEVEL_RATIO > last * stretch else last
        scales.append(scale)
    return scales


def _ceil_to(v: int, m: int) -> int:
    return max(m, math.ceil(v / m) * m)


def _starts(n: int) -> list[int]:
    """Tile origins along one side of ``n`` pixels."""
    if n <= TILE:
        return [0]
    count = math.ceil((n - TILE_OVERLAP) / (TILE - TILE_OVERLAP))
    step = (n - TILE) / (count - 1)
    return [round(i * step) for i in range(count)]


class FaceDetector:
    """Finds every upright face of at least ``min_face`` pixels (dlib-box side) in an RGB image.

    ``model_dir`` holds ``face_detection_full_range.tflite`` and ``mtcnn_onet.onnx`` (see
    :class:`~faceprint.engine.models.ModelStore`). ``threads``: CPU threads per inference (>= 1).
    Thread-safe (inferences are serialised per model).
    """

    def __init__(self, model_dir: Path, min_face: int = 32, threads: int = 1, partner: str = PARTNER) -> None:
        if min_face < 8:
            raise ValueError(f"min_face must be at least 8 pixels, not {min_face}")
        if partner not in PARTNERS:
            raise ValueError(f"partner must be one of {', '.join(PARTNERS)}, not {partner!r}")
        store = ModelStore(model_dir)
        self.min_face = int(min_face)
        self.partner = partner
        path = store.path("face_detection_full_range.tflite")
        # one BlazeFace (with its interpreters) per concurrent caller: interpreters are not thread-safe
        self._blazefaces = InstancePool(lambda: BlazeFaceFullRange(path, threads, 16))
        self._onet = ONet(store.path("mtcnn_onet.onnx"), threads)
        self.yunet = YuNet(store.path(YUNET_FILE), threads) if partner != "none" else None

    def _levels(self, image: RGBImage) -> list[tuple[float, float, npt.NDArray[np.uint8]]]:
        """``(sx, sy, pixels)`` of every pyramid level, finest first; each level is resized from the
        previous one (cheaper, same quality)."""
        height, width = image.shape[:2]
        small = Image.fromarray(image)
        out = []
        for scale in pyramid(width, height, self.min_face):
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            if (w, h) != small.size:
                small = small.resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
            out.append((w / width, h / height, np.asarray(small)))
        return out

    def _level_candidates(self, sx: float, sy: float, pixels: npt.NDArray[np.uint8]) -> list[RawDetections]:
        h, w = pixels.shape[:2]
        parts: list[RawDetections] = []
        for y in _starts(h):
            for x in _starts(w):
                tile = pixels[y : y + TILE, x : x + TILE]
                th, tw = _ceil_to(tile.shape[0], CANVAS_STEP), _ceil_to(tile.shape[1], CANVAS_STEP)
                canvas = np.zeros((th, tw, 3), np.float32)  # padding reads as mid-grey
                canvas[: tile.shape[0], : tile.shape[1]] = tile * np.float32(1 / 127.5) - np.float32(1.0)
                with self._blazefaces.get() as blazeface:
                    raw = blazeface.run(canvas, CANDIDATE_SCORE)
                if len(raw):
                    parts.append(_to_image(raw, sx, sy, x, y))
        return parts

    @staticmethod
    def _merge(parts: list[RawDetections]) -> RawDetections:
        merged = RawDetections.concat(parts)
        if not len(merged):
            return merged
        scores, boxes, points, _ = weighted_nms(merged.scores, merged.boxes, merged.keypoints, NMS_IOU)
        return RawDetections(scores, boxes, points)

    def candidates(self, image: RGBImage) -> RawDetections:
        """BlazeFace's merged candidates (before the O-net check), boxes x1, y1, x2, y2 in image pixels."""
        parts: list[RawDetections] = []
        for sx, sy, pixels in self._levels(image):
            parts += self._level_candidates(sx, sy, pixels)
        return self._merge(parts)

    def blazeface_detect(self, image: RGBImage) -> list[Detection]:
        """Every upright face BlazeFace finds and the O-net confirms, without the partner."""
        parts: list[RawDetections] = []
        for sx, sy, pixels in self._levels(image):
            parts += self._level_candidates(sx, sy, pixels)
        return self._verify(image, self._merge(parts))

    def yunet_faces(self, image: RGBImage, found: list[Detection],
                    candidates: RawDetections | None = None) -> list[Detection]:
        """YuNet's upright faces that none of ``found`` covers (see :data:`PARTNER`). ``candidates``:
        BlazeFace's, when known: with no face found, one of them that the O-net prefers turned (by
        :data:`YUNET_STRICT_MARGIN`) vetoes the YuNet faces it overlaps."""
        if self.yunet is None:
            return []
        raw = self.yunet.detect(image, YUNET_SCORE, YUNET_CANVAS)
        strict = not found  # nothing vouches for the photo's turn
        roll = YUNET_STRICT_ROLL if strict else UPRIGHT_ROLL
        keep = [i for i in range(len(raw))
                if upright_points(raw.points[i], roll) and not any(_covers(d.box, raw.boxes[i]) for d in found)]
        if not keep:
            return []
        raw = YuNetRaw(raw.scores[keep], raw.boxes[keep], raw.points[keep])
        pil = Image.fromarray(image)
        boxes = dlib_boxes(raw.boxes, keypoints6(raw.points), YUNET_CAL)
        square = np.stack([boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]], 1)
        # the O-net's check and its turn logits of the same crops, in one inference (as in _verify)
        onet, _, _, logits = self._onet.with_turns(pil, square.astype(np.float32))
        upright = _upright(logits, YUNET_STRICT_MARGIN if strict else YUNET_MARGIN)
        if strict:  # and YuNet's own box must agree (the dlib-like box of a sideways face can hide it)
            upright &= self._stands_upright(pil, raw.boxes, YUNET_STRICT_MARGIN)
            if candidates is not None and len(candidates):
                turned = candidates.boxes[~self._stands_upright(pil, candidates.boxes, -YUNET_STRICT_MARGIN)]
                if len(turned):
                    upright &= ~(iou_matrix(raw.boxes, turned).max(axis=1) > NMS_IOU)
        least = max(YUNET_STRICT_SCORE, YUNET_SCORE) if strict else YUNET_SCORE
        out = []
        for i in range(len(raw)):
            if boxes[i, 2] < MIN_FACE_SLACK * self.min_face or not upright[i] or raw.scores[i] < least:
                continue
            if raw.scores[i] < YUNET_ALONE and onet[i] < YUNET_ONET:
                continue
            left, top, w, h = (float(v) for v in boxes[i])
            out.append(Detection(Box(left, top, w, h), float(raw.scores[i]), keypoints6(raw.points[i : i + 1])[0],
                                 raw.points[i].copy()))
        return out

    def _stands_upright(self, pil: Image.Image, squares: F32, margin: float = TURN_MARGIN) -> npt.NDArray[np.bool_]:
        """Per square box (x1, y1, x2, y2): whether its face stands upright: its crop as it stands scores
        more than ``margin`` higher than any turn of it (O-net logits; see :data:`TURN_MARGIN`)."""
        return _upright(self._onet.turn_logits(pil, squares), margin)

    def _partnered(self, image: RGBImage, found: list[Detection], rejected: bool,
                   candidates: RawDetections) -> list[Detection]:
        unsure = rejected or not found or min(d.score for d in found) < UNSURE_BELOW
        if self.partner == "none" or (self.partner == "unsure" and not unsure):
            return found
        return found + self.yunet_faces(image, found, candidates)

    def _verify(self, image: RGBImage | Image.Image, cand: RawDetections) -> list[Detection]:
        if not len(cand):
            return []
        pil = image if isinstance(image, Image.Image) else Image.fromarray(image)
        verified, _, points, logits = self._onet.with_turns(pil, cand.boxes)
        points = points + ONET_POINT_SHIFT
        boxes = dlib_boxes(cand.boxes, cand.keypoints)
        ok = (verified >= VERIFY_SCORE) & (boxes[:, 2] >= MIN_FACE_SLACK * self.min_face)
        margin = np.where(cand.scores >= SURE_SCORE, SURE_MARGIN, TURN_MARGIN)
        ok &= _upright(logits, margin)
        found: list[Detection] = []
        for i in np.argsort(-cand.scores):
            if not ok[i]:
                continue
            left, top, w, h = (float(v) for v in boxes[i])
            found.append(Detection(Box(left, top, w, h), float(cand.scores[i]), cand.keypoints[i].copy(), points[i]))
        return found

    def detect(self, image: RGBImage, *, largest_only: bool = False) -> list[Detection]:
        """Every upright face, best score first: dlib-convention box, BlazeFace score (0..1), keypoints.

        ``image``: uint8 RGB ``(H, W, 3)``. ``largest_only``: the caller needs only the largest face, so
        the pyramid runs from its coarsest level and stops as soon as a verified face is at least as large
        as anything the finer levels can find (most photos then skip the costly fine levels). The answer
        still holds every face found on the levels that ran, the largest among them.
        """
        return self.detect_with_candidates(image, largest_only=largest_only)[0]

    def detect_with_candidates(
        self, image: RGBImage, *, largest_only: bool = False
    ) -> tuple[list[Detection], RawDetections]:
        """:meth:`detect`, with BlazeFace's merged candidates of the levels that ran (as
        :meth:`candidates` gives them; every level when no face was found)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InvalidArgument(f"expected a uint8 RGB image (H, W, 3), got {image.dtype} {image.shape}")
        if not largest_only:
            parts: list[RawDetections] = []
            for sx, sy, pixels in self._levels(image):
                parts += self._level_candidates(sx, sy, pixels)
            merged = self._merge(parts)
            every = self._verify(image, merged)
            return self._partnered(image, every, len(every) < len(merged), merged), merged
        # coarse to fine, each level scaled from the photo only when it is reached (most photos stop at
        # the first or second level, and the finest level costs the most to scale)
        height, width = image.shape[:2]
        whole = Image.fromarray(image)
        coarse_first = pyramid(width, height, self.min_face)[::-1]
        parts = []
        found: list[Detection] = []
        merged = self._merge(parts)
        for k, scale in enumerate(coarse_first):
            sx, sy, pixels = _scaled(whole, scale)
            new = self._level_candidates(sx, sy, pixels)
            if not new:
                continue
            parts += new
            merged = self._merge(parts)
            verified = self._verify(whole, merged)
            # A face verified on a coarser level stays found when merging in a finer level's weaker
            # candidate moves its box below the O-net's threshold (a borderline face would otherwise be
            # lost for having been seen twice).
            kept = [d for d in found if all(d.box.iou(v.box) < NMS_IOU for v in verified)]
            found = sorted(verified + kept, key=lambda d: -d.score)
            if k + 1 < len(coarse_first) and found:
                finer = coarse_first[k + 1]
                # the largest face (image pixels) the next finer level is trusted with
                if max(d.box.width for d in found) >= LAST_LEVEL_FACE / finer:
                    break
        if not found:
            found = self._partnered(image, found, True, merged)
        return found, merged


def _scaled(whole: Image.Image, scale: float) -> tuple[float, float, npt.NDArray[np.uint8]]:
    """``(sx, sy, pixels)`` of the photo scaled by ``scale`` (< 1)."""
    width, height = whole.size
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    small = whole if (w, h) == whole.size else whole.resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return w / width, h / height, np.asarray(small)


def _to_image(raw: RawDetections, sx: float, sy: float, x0: int, y0: int) -> RawDetections:
    """Tile canvas pixels -> image pixels (``sx``, ``sy``: scaled/original; ``x0``, ``y0``: tile origin)."""
    scale = np.array([sx, sy], np.float32)
    origin = np.array([x0, y0], np.float32)
    boxes = ((raw.boxes.reshape(-1, 2, 2) + origin) / scale).reshape(-1, 4).astype(np.float32)
    points = ((raw.keypoints + origin) / scale).astype(np.float32)
    return RawDetections(raw.scores, boxes, points)
