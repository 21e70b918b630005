"""Face attributes and head pose in the Mercury guide's vocabulary (:mod:`faceprint.vocabulary`).

:class:`FaceAnalyzer` fills, for each :class:`~faceprint.engine.types.Face`, ``face.angle`` (yaw, pitch,
roll in degrees; signs in :mod:`faceprint.engine.pose`) and ``face.attributes``, an
:class:`~faceprint.vocabulary.Attributes`: the age interval (the shortest interval around the age model's mode
holding 50 % of its probability), ``st_age`` from the expected age (child < 18, old >= 60), gender,
moustache or beard (``WHISKERS``), mask (``respirator_color`` OTHER), glasses or sunglasses, cap or hat,
helmet (hard hat or bike helmet; fitted on synthetic helmets only), expression; with the probability of each
value given and the expected age. How far each can be trusted is measured in docs/attributes.md.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from faceprint.engine._accessories import HELMET_OVER_CAP, accessory_features, predict_accessories
from faceprint.engine._agegender import AgeGender
from faceprint.engine._expression import ExpressionModel
from faceprint.engine._facemesh import FaceMesh, MeshResult
from faceprint.engine._regions import FaceRegions
from faceprint.engine.models import ModelStore
from faceprint.engine.pose import pose_from_mesh, pose_from_points5
from faceprint.engine.types import Face, RGBImage
from faceprint.vocabulary import (
    Attributes,
    CapStyle,
    Gender,
    GlassStyle,
    HelmetStyle,
    MustacheStyle,
    RespiratorColor,
)

__all__ = ["MIN_MESH_PRESENCE", "FaceAnalyzer"]

log = logging.getLogger(__name__)
E = TypeVar("E", bound=StrEnum)

#: Below this face-presence probability the mesh is not trusted (pose falls back to the 5 points).
MIN_MESH_PRESENCE = 0.5


def _binary(result: tuple[float, bool] | None, yes: E, no: E) -> tuple[E, float]:
    """(value, confidence of that value) from a model's (probability, decision)."""
    if result is None:
        return no, 0.5
    p, on = result
    return (yes, p) if on else (no, 1.0 - p)


class FaceAnalyzer:
    """Loads the face mesh, age, gender and expression models from ``model_dir``.

    ``threads``: intra-op threads per model. Thread-safe (each model serialises its own calls).
    """

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        store = ModelStore(model_dir)
        self.mesh = FaceMesh(store.path("face_landmark.tflite"), threads)
        self.age_gender = AgeGender(store.path("age-v1.onnx"), store.path("gender-v1.onnx"), threads)
        self.expression = ExpressionModel(store.path("emotion_model_quantized.tflite"), threads)

    def face_mesh(self, image: RGBImage, face: Face) -> MeshResult | None:
        """The 468-point mesh of ``face`` (None without 5 points)."""
        if face.points5 is None:
            return None
        return self.mesh.run(image, face.points5, face.keypoints)

    def annotate(self, image: RGBImage, faces: list[Face]) -> None:
        """Fill ``angle`` and ``attributes`` of every face that has 5 points (others are left as they are)."""
        for face in faces:
            if face.points5 is None:
                log.debug("face without 5 points: no attributes")
                continue
            mesh = self.mesh.run(image, face.points5, face.keypoints)
            face.attributes = self.attributes(image, face, mesh)
            face.angle = (pose_from_mesh(mesh.points) if mesh.presence >= MIN_MESH_PRESENCE
                          else pose_from_points5(face.points5))

    def attributes(self, image: RGBImage, face: Face, mesh: MeshResult) -> Attributes:
        """The guide's attributes of one face (see the module docstring)."""
        if face.points5 is None:
            return Attributes()
        ag = self.age_gender.predict(image, face.points5)
        lower, upper, inside = ag.age_range()
        st_age, age_conf = ag.age_class()
        gender, gender_conf = _binary((ag.male, ag.male >= 0.5), Gender.MALE, Gender.FEMALE)
        expr = self.expression.predict(image, mesh)
        st_expression = max(expr, key=lambda k: expr[k])
        acc = predict_accessories(accessory_features(FaceRegions(mesh)))
        p_sun, sun = acc.get("sunglasses", (0.0, False))
        p_glass, glass_on = acc.get("glasses", (0.0, False))
        if sun:
            glass, glass_conf = GlassStyle.SUNGLASSES, p_sun
        elif glass_on:
            glass, glass_conf = GlassStyle.TRANSPARENT, p_glass
        else:
            glass, glass_conf = GlassStyle.NONE, (1.0 - p_sun) * (1.0 - p_glass)
        mustache, mustache_conf = _binary(acc.get("mustache"), MustacheStyle.WHISKERS, MustacheStyle.NONE)
        mask, mask_conf = _binary(acc.get("mask"), RespiratorColor.OTHER, RespiratorColor.NONE)
        cap, cap_conf = _binary(acc.get("cap"), CapStyle.CAP, CapStyle.NONE)
        # Fitted on synthetic helmets drawn on the photos (no real helmet photo): see docs/attributes.md.
        helmet, helmet_conf = _binary(acc.get("helmet"), HelmetStyle.HELMET, HelmetStyle.NONE)
        if helmet is HelmetStyle.HELMET and cap is CapStyle.CAP:
            # One headwear: a helmet's shell reads as a cap to the cap model, and the helmet model fires on
            # many real caps and hats (LFW); the helmet stands only when it is sure (HELMET_OVER_CAP).
            if helmet_conf >= HELMET_OVER_CAP:
                cap, cap_conf = CapStyle.NONE, helmet_conf
            else:
                helmet, helmet_conf = HelmetStyle.NONE, cap_conf
        conf = {"st_age": age_conf, "gender_code": gender_conf, "mustache_style": mustache_conf,
                "respirator_color": mask_conf, "glass_style": glass_conf, "cap_style": cap_conf,
                "st_helmet_style": helmet_conf, "st_expression": expr[st_expression]}
        return Attributes(
            age_lower_limit=int(lower), age_up_limit=int(upper), st_age=st_age, gender_code=gender,
            mustache_style=mustache, respirator_color=mask, glass_style=glass, cap_style=cap,
            st_helmet_style=helmet, st_expression=st_expression,
            confidence={k: round(float(v), 4) for k, v in conf.items()},
            age_confidence=round(float(inside), 4), age_estimate=round(float(ag.age), 1),
        )
