"""The face engine: decode, detect (turning sideways photos and tilted faces upright), landmarks,
descriptor, attributes.

Usable as a library::

    from faceprint.engine import Engine
    engine = Engine.from_settings(Settings())
    found = engine.detect(open("group.jpg", "rb").read())
    cmp = engine.compare(photo_a, photo_b)

Every result carries per-stage timings in milliseconds. The engine holds no request state: it is safe to
call from several threads at once (the ONNX sessions are thread-safe and release the GIL).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from faceprint.engine._blazeface import RawDetections
from faceprint.engine.attributes import FaceAnalyzer
from faceprint.engine.detection import FaceDetector
from faceprint.engine.geometry import (
    Affine,
    box_back,
    box_to_displayed,
    clip_rectangle,
    points_back,
    points_to_displayed,
    quarter_turn,
    rotate_upright,
    search_region,
)
from faceprint.engine.image import DecodedImage, decode_image
from faceprint.engine.landmarks import ShapePredictor
from faceprint.engine.models import ModelStore
from faceprint.engine.quality import assess_quality
from faceprint.engine.recognizers import PackSpec, Recognizer, load_packs, open_recognizer
from faceprint.engine.recognizers.packs import resolve_pack
from faceprint.engine.similarity import similarity
from faceprint.engine.tilt import find_tilted
from faceprint.engine.types import Angle, Box, Detection, Face, ImageInput, ImageSource, RGBImage
from faceprint.errors import BadFeatureVersion, FaceprintError, NoFace
from faceprint.settings import Settings
from faceprint.vocabulary import Occlusion, QualityScores

__all__ = ["Comparison", "Engine", "ImageFaces", "QualityReport"]

_ROTATIONS = (90, 180, 270)


@dataclass(slots=True)
class ImageFaces:
    """Every face of one image, in displayed-image pixels."""

    faces: list[Face]
    width: int
    height: int
    #: Clockwise rotation (0/90/180/270) that made the faces upright (for tilted faces, found in the
    #: photo turned by their own angle: the quarter turn nearest to that angle).
    rotation: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Comparison:
    #: 0..1, higher = more similar: the pack's calibrated score (see faceprint.engine.recognizers.packs).
    score: float
    one_face: Face
    another_face: Face
    timings: dict[str, float] = field(default_factory=dict)
    #: The recogniser pack that made the descriptors.
    pack: str = ""


@dataclass(slots=True)
class QualityReport:
    face: Face
    angle: Angle
    quality: QualityScores
    occlusion: Occlusion
    #: Clockwise rotation (0/90/180/270) that turns the photo upright (the nearest quarter turn).
    optimal_rotation_angle: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _Found:
    """Faces in upright coordinates, with what is needed to map them back."""

    upright: RGBImage
    faces: list[Face]
    #: The quarter turn reported (0/90/180/270, the nearest to ``turn``).
    rotation: int
    #: Top-left of the scanned region in displayed coordinates, and the region's size.
    offset: tuple[int, int]
    region_size: tuple[int, int]
    width: int
    height: int
    timings: dict[str, float]
    #: The exact clockwise turn (degrees) that made the faces upright.
    turn: float = 0.0
    #: For a turn that is no quarter turn: the map from ``upright``'s points to the region's.
    back: Affine | None = None
    #: File pixels per decoded pixel (a large JPEG decoded reduced): the answer is scaled back by it.
    scale: float = 1.0


def _scaled_face(face: Face, s: float) -> Face:
    def pts(p: np.ndarray | None) -> np.ndarray | None:
        return None if p is None else (p * np.float32(s)).astype(np.float32)

    return replace(face, box=face.box.scaled(s), points5=pts(face.points5), keypoints=pts(face.keypoints),
                   align5=pts(face.align5))


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


class Engine:
    """Detection, alignment, descriptors, attributes and quality on the models of the manifest."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int = 0,
        min_face: int = 32,
        max_image_bytes: int = 8 * 1024 * 1024,
        max_image_pixels: int = 50_000_000,
        auto_rotate: bool = True,
        recognizer: str = "",
        max_decode_pixels: int | None = None,
    ) -> None:
        """``recognizer``: the default recogniser pack's name (empty: the first shipped pack marked default)."""
        threads = threads or (os.cpu_count() or 1)
        store = ModelStore(model_dir)
        self.model_dir = Path(model_dir)
        self.threads = threads
        #: Every recogniser pack known (shipped and the user's), by name.
        self.packs: dict[str, PackSpec] = load_packs(self.model_dir)
        self.default_pack = resolve_pack(self.packs, recognizer).name
        self._recognizers: dict[str, Recognizer] = {}
        self._recognizers_lock = threading.Lock()
        self.max_image_bytes = max_image_bytes
        self.max_image_pixels = max_image_pixels
        #: The most pixels decoded (None: max_image_pixels): larger JPEGs are decoded reduced, others refused.
        self.max_decode_pixels = max_decode_pixels
        self.auto_rotate = auto_rotate
        self.detector = FaceDetector(model_dir, min_face=min_face, threads=1)
        self.landmarks = ShapePredictor(store.path("shape_predictor_5_face_landmarks.dat"))
        self.analyzer = FaceAnalyzer(model_dir, threads=1)
        self.models_of(self.default_pack)  # a missing default model stops start-up, naming the file

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        return cls(
            settings.model_dir,
            threads=settings.inference_threads,
            min_face=settings.min_face,
            max_image_bytes=settings.max_image_bytes,
            max_image_pixels=settings.max_image_pixels,
            recognizer=settings.recognizer,
            max_decode_pixels=settings.max_decode_pixels,
        )

    def close(self) -> None:
        """Nothing to release: the models go with the object (here for :class:`FaceEngine`)."""

    # -- recognisers ---------------------------------------------------------------------------
    def models_of(self, pack: str) -> list[str]:
        """The packs whose networks run for ``pack``: itself, or a fusion pack's members. BadFeatureVersion for
        an unknown pack; loads them (so a missing file fails here, naming it)."""
        spec = self.packs.get(pack)
        if spec is None:
            raise BadFeatureVersion(f"No recogniser pack named {pack!r} on this server.")
        names = list(spec.members) or [pack]
        for name in names:
            self.recognizer(name)
        return names

    def recognizer(self, pack: str) -> Recognizer:
        """The loaded recogniser of ``pack`` (loaded on first use); BadFeatureVersion for an unknown pack (and
        for a fusion pack, which has no network of its own: see :meth:`models_of`)."""
        rec = self._recognizers.get(pack)
        if rec is not None:
            return rec
        spec = self.packs.get(pack)
        if spec is None or spec.members:
            raise BadFeatureVersion(f"No recogniser pack named {pack!r} on this server.")
        with self._recognizers_lock:
            rec = self._recognizers.get(pack)
            if rec is None:
                rec = self._recognizers[pack] = open_recognizer(spec, self.model_dir, self.threads)
        return rec

    # -- intake --------------------------------------------------------------------------------
    def decode(self, data: str | bytes) -> RGBImage:
        """Base64 text or file bytes to upright RGB pixels (EXIF applied); raises the intake errors."""
        return self._decode(data).pixels

    def _decode(self, data: str | bytes) -> DecodedImage:
        return decode_image(data, self.max_image_bytes, self.max_image_pixels, self.max_decode_pixels)

    def _pixels(self, image: ImageSource, timings: dict[str, float]) -> tuple[RGBImage, float]:
        """The pixels and their scale (file pixels per decoded pixel)."""
        if isinstance(image, np.ndarray):
            return image, 1.0
        t0 = time.perf_counter()
        decoded = self._decode(image)
        timings["decode"] = _ms(t0)
        return decoded.pixels, decoded.scale

    # -- detection -----------------------------------------------------------------------------
    def _find(
        self, decoded: tuple[RGBImage, float], rectangle: Box | None, timings: dict[str, float],
        largest_only: bool = False,
    ) -> _Found:
        pixels, scale = decoded
        height, width = int(pixels.shape[0]), int(pixels.shape[1])
        x0, y0, x1, y1 = 0, 0, width, height
        rect = None
        if rectangle is not None:
            rect = clip_rectangle(rectangle.scaled(1.0 / scale) if scale != 1.0 else rectangle, width, height)
            x0, y0, x1, y1 = search_region(rect, width, height)
        region = pixels[y0:y1, x0:x1]
        t0 = time.perf_counter()
        found = _Found(region, [], 0, (x0, y0), (x1 - x0, y1 - y0), width, height, timings, scale=scale)
        dets, candidates = self.detector.detect_with_candidates(region, largest_only=largest_only)
        if not dets and self.auto_rotate:
            dets = self._turned(found, largest_only, candidates)
        timings["detect"] = _ms(t0)
        upright, rotation = found.upright, found.rotation
        if rect is not None:
            dets = [d for d in dets if self._displayed_box(found, d.box).intersection(rect) > 0]
        if largest_only and dets:
            dets = [max(dets, key=lambda d: d.box.area)]  # landmarks for the one face that is used
        t0 = time.perf_counter()
        for d in dets:
            face = Face(box=d.box, score=float(d.score), keypoints=d.keypoints, rotation=rotation,
                        align5=d.points5)
            face.points5 = self.landmarks.predict(upright, d.box)
            found.faces.append(face)
        timings["landmarks"] = _ms(t0)
        return found

    def _turned(self, found: _Found, largest_only: bool, candidates: RawDetections) -> list[Detection]:
        """Faces of a region where no upright face was found: first tilted faces (the region turned by
        their keypoints' angle, see faceprint.engine.tilt), then the region turned a quarter at a time.
        Sets ``found``'s image and turn when a face is found. ``candidates``: BlazeFace's candidates on
        the region, from the upright search."""
        region = found.upright
        tilted = find_tilted(self.detector, region, largest_only, candidates)
        if tilted is not None:
            found.upright, found.turn, found.back = tilted.image, tilted.turn, tilted.back
            found.rotation = quarter_turn(tilted.turn)
            return tilted.detections
        for r in _ROTATIONS:
            candidate = rotate_upright(region, r)
            dets = self.detector.detect(candidate, largest_only=largest_only)
            if dets:
                found.upright, found.turn, found.rotation = candidate, float(r), r
                return dets
        return []

    def _points(self, found: _Found, points: np.ndarray) -> np.ndarray:
        """Upright-image points in displayed-image pixels."""
        rw, rh = found.region_size
        if found.back is not None:
            mapped = points_back(points, found.back)
        else:
            mapped = points_to_displayed(points, found.rotation, rw, rh)
        return mapped + np.array(found.offset, np.float32)

    def _displayed_box(self, found: _Found, box: Box) -> Box:
        if found.back is not None:
            return box_back(box, found.back).shifted(*found.offset)
        rw, rh = found.region_size
        return box_to_displayed(box, found.rotation, rw, rh).shifted(*found.offset)

    def _to_displayed(self, found: _Found, face: Face) -> Face:
        """A copy of an upright-coordinates face in displayed-image pixels."""

        def pts(p: np.ndarray | None) -> np.ndarray | None:
            return None if p is None else self._points(found, p)

        angle = face.angle
        if angle is not None and found.turn:
            roll = (angle.roll - found.turn + 180.0) % 360.0 - 180.0
            angle = Angle(angle.yaw, angle.pitch, roll)
        return replace(
            face,
            box=self._displayed_box(found, face.box),
            points5=pts(face.points5),
            keypoints=pts(face.keypoints),
            align5=pts(face.align5),
            embeddings=dict(face.embeddings),
            angle=angle,
            timings=dict(face.timings),
        )

    def _describe(self, pairs: Sequence[tuple[RGBImage, Face]], packs: Sequence[str] | None) -> float:
        """Descriptors of the faces (each with its upright image) by each of ``packs`` (None: the default),
        one batch per pack; ``Face.embedding`` is the first pack's. Returns the ms spent."""
        t0 = time.perf_counter()
        names = list(dict.fromkeys(packs or [self.default_pack]))
        # every network once, whichever packs (fusion packs included) asked for it; unknown packs fail first
        nets = list(dict.fromkeys(m for name in names for m in self.models_of(name)))
        # arcface-family chips align on Face.align5: the detector's O-net points, which every verified face has
        recs = [self.recognizer(name) for name in nets]
        for name, rec in zip(nets, recs, strict=True):
            vectors = rec.embed(np.stack([rec.chip(upright, f) for upright, f in pairs]))
            for (_, f), v in zip(pairs, vectors, strict=True):
                f.embeddings[name] = v
        for _, f in pairs:
            for name in names:
                members = self.packs[name].members
                if members:  # unit vectors scaled by sqrt(weight): the cosine is the weighted mean of theirs
                    f.embeddings[name] = np.concatenate(
                        [np.float32(np.sqrt(w)) * f.embeddings[m] for m, w in members.items()]).astype(np.float32)
            f.embedding = f.embeddings[names[0]]
        return _ms(t0)

    def _embed(
        self, upright: RGBImage, faces: Sequence[Face], timings: dict[str, float], packs: Sequence[str] | None
    ) -> None:
        if faces:
            timings["embed"] = timings.get("embed", 0.0) + self._describe([(upright, f) for f in faces], packs)

    def _annotate(self, upright: RGBImage, faces: list[Face], timings: dict[str, float]) -> None:
        if not faces:
            return
        t0 = time.perf_counter()
        self.analyzer.annotate(upright, faces)
        timings["attributes"] = _ms(t0)

    def _result(self, found: _Found, faces: list[Face]) -> ImageFaces:
        # this image's own work (in a batch, the shared descriptor call counts its share)
        found.timings["total"] = sum(v for k, v in found.timings.items() if k != "total")
        shown = [self._to_displayed(found, f) for f in faces]
        s = found.scale
        if s != 1.0:  # decoded reduced: back to the file's pixels
            shown = [_scaled_face(f, s) for f in shown]
            return ImageFaces(shown, round(found.width * s), round(found.height * s), found.rotation, found.timings)
        return ImageFaces(shown, found.width, found.height, found.rotation, found.timings)

    def detect(
        self,
        image: ImageSource,
        rectangle: Box | None = None,
        *,
        embed: bool = False,
        attributes: bool = True,
        packs: Sequence[str] | None = None,
    ) -> ImageFaces:
        """Every face of at least ``min_face`` pixels (overlapping ``rectangle`` when given), largest
        first. When no upright face is found, the photo is turned by the angle of any tilted face BlazeFace
        sees (faces leaning by 10-60 degrees), then by 90, 180 and 270 degrees; the faces are reported in
        the displayed photo all the same (a tilted face's box: its size, centred on the face). ``embed``: with
        the descriptors of ``packs`` (None: the default recogniser)."""
        timings: dict[str, float] = {}
        found = self._find(self._pixels(image, timings), rectangle, timings)
        found.faces.sort(key=lambda f: f.box.area, reverse=True)
        if embed:
            self._embed(found.upright, found.faces, timings, packs)
        if attributes:
            self._annotate(found.upright, found.faces, timings)
        return self._result(found, found.faces)

    def _largest(self, image: ImageSource, rectangle: Box | None, attributes: bool) -> tuple[_Found, Face]:
        timings: dict[str, float] = {}
        found = self._find(self._pixels(image, timings), rectangle, timings, largest_only=True)
        if not found.faces:
            raise NoFace()
        face = max(found.faces, key=lambda f: f.box.area)
        if attributes:
            self._annotate(found.upright, [face], timings)
        return found, face

    def largest_face(
        self, image: ImageSource, rectangle: Box | None = None, *, embed: bool = True, attributes: bool = True,
        packs: Sequence[str] | None = None,
    ) -> tuple[Face, ImageFaces]:
        """The largest face (inside ``rectangle`` when given), with its descriptors by each of ``packs`` (None:
        the default recogniser); raises NoFace, BadFeatureVersion."""
        found, face = self._largest(image, rectangle, attributes)
        if embed:
            self._embed(found.upright, [face], found.timings, packs)
        result = self._result(found, [face])
        return result.faces[0], result

    def embed_many(
        self, images: Sequence[ImageInput], *, attributes: bool = True,
        packs: Sequence[str] | None = None,
    ) -> list[tuple[Face, ImageFaces] | FaceprintError]:
        """The largest face of each image with its descriptors by ``packs`` (None: the default recogniser),
        computed in one batch per pack. An image that fails (bad data, no face) yields its error in its
        slot; an unknown pack raises BadFeatureVersion for the whole call."""
        for name in packs or []:
            self.models_of(name)
        staged: list[tuple[_Found, Face] | FaceprintError] = []
        for image in images:
            try:
                staged.append(self._largest(image.source, image.rectangle, attributes))
            except FaceprintError as e:
                staged.append(e)
        ok = [s for s in staged if not isinstance(s, FaceprintError)]
        if ok:
            per_face = self._describe([(found.upright, face) for found, face in ok], packs) / len(ok)
            for found, _ in ok:
                found.timings["embed"] = per_face
        out: list[tuple[Face, ImageFaces] | FaceprintError] = []
        for s in staged:
            if isinstance(s, FaceprintError):
                out.append(s)
                continue
            found, face = s
            result = self._result(found, [face])
            out.append((result.faces[0], result))
        return out

    # -- 1:1 and quality -----------------------------------------------------------------------
    def compare(
        self, a: ImageSource, b: ImageSource, rect_a: Box | None = None, rect_b: Box | None = None,
        pack: str | None = None,
    ) -> Comparison:
        """The similarity score (0..1, the pack's calibrated map) of the largest faces of two images by
        ``pack`` (None: the default recogniser); raises NoFace."""
        t0 = time.perf_counter()
        name = pack or self.default_pack
        pair: list[tuple[Face, ImageFaces]] = []
        for item in self.embed_many([ImageInput(a, rect_a), ImageInput(b, rect_b)], packs=[name]):
            if isinstance(item, FaceprintError):
                raise item
            pair.append(item)
        (fa, ra), (fb, rb) = pair
        if fa.embedding is None or fb.embedding is None:
            raise NoFace()
        score = self.packs[name].score_map.score(similarity(fa.embedding, fb.embedding))
        timings = {"one": ra.timings.get("total", 0.0), "another": rb.timings.get("total", 0.0),
                   "total": _ms(t0)}
        return Comparison(score, fa, fb, timings, name)

    def quality(self, image: ImageSource, rectangle: Box | None = None) -> QualityReport:
        """The quality check of the largest face; raises NoFace."""
        found, face = self._largest(image, rectangle, attributes=True)
        t0 = time.perf_counter()
        quality, occlusion = assess_quality(found.upright, face, self.analyzer)
        found.timings["quality"] = _ms(t0)
        result = self._result(found, [face])
        shown = result.faces[0]
        angle = shown.angle or Angle(0.0, 0.0, 0.0)
        return QualityReport(shown, angle, quality, occlusion, found.rotation, result.timings)
