"""Face attributes and head pose in the Mercury guide's vocabulary.

:class:`FaceAnalyzer` fills, for each :class:`~faceprint.engine.types.Face`, ``face.angle`` (yaw, pitch,
roll in degrees; signs in :mod:`faceprint.engine.pose`) and ``face.attributes``:

============================  ============================================================================
key                           value
============================  ============================================================================
age_lower_limit, age_up_limit int years: the shortest interval around the age model's mode holding 50 %
                              of its probability (``age_confidence``: the mass actually inside)
st_age                        ST_CHILD (< 18) / ST_ADULT / ST_OLD (>= 60), from the expected age
gender_code                   MALE / FEMALE
mustache_style                MUSTACHE_STYLE_TYPE_NONE / WHISKERS (moustache or beard)
respirator_color              COLOR_TYPE_NONE (no mask) / COLOR_TYPE_OTHER (mask)
glass_style                   GLASSES_STYLE_TYPE_NONE / TRANSPARENT_GLASSES / SUNGLASSES
cap_style                     HAT_STYLE_TYPE_NONE / CAP (any cap or hat)
st_helmet_style               ST_HELMET_STYLE_TYPE_NONE / ST_HELMET (hard hat or bike helmet; fitted on
                              synthetic helmets only)
st_expression                 ST_CALM / ST_HAPPY / ST_ANGRY / ST_SURPRISED / ST_SORROW
st_respirator                 None (reserved by the guide, not used)
============================  ============================================================================

Extra fields: ``<key>_confidence`` (0..1, the probability of the value given) for st_age, gender_code,
mustache_style, respirator_color, glass_style, cap_style, st_helmet_style and st_expression;
``age_confidence`` (0..1) for the age interval; ``age_estimate`` (float years, the model's expectation).
How far each can be trusted is measured in docs/attributes.md.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from faceprint.engine._accessories import accessory_features, predict_accessories
from faceprint.engine._agegender import AgeGender
from faceprint.engine._expression import Expression
from faceprint.engine._facemesh import FaceMesh, MeshResult
from faceprint.engine._regions import FaceRegions
from faceprint.engine.models import ModelStore
from faceprint.engine.pose import pose_from_mesh, pose_from_points5
from faceprint.engine.types import Face, RGBImage

__all__ = ["CONFIDENCE_KEYS", "MIN_MESH_PRESENCE", "FaceAnalyzer"]

log = logging.getLogger(__name__)

#: Attributes that carry a ``<key>_confidence`` companion.
CONFIDENCE_KEYS = ("st_age", "gender_code", "mustache_style", "respirator_color", "glass_style", "cap_style",
                   "st_helmet_style", "st_expression")
#: Below this face-presence probability the mesh is not trusted (pose falls back to the 5 points).
MIN_MESH_PRESENCE = 0.5


def _binary(result: tuple[float, bool] | None, yes: str, no: str) -> tuple[str, float]:
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
        self.expression = Expression(store.path("emotion_model_quantized.tflite"), threads)

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

    def attributes(self, image: RGBImage, face: Face, mesh: MeshResult) -> dict[str, Any]:
        """The guide's attribute dict for one face (see the module docstring)."""
        assert face.points5 is not None
        ag = self.age_gender.predict(image, face.points5)
        lower, upper, inside = ag.age_range()
        st_age, age_conf = ag.age_class()
        gender, gender_conf = _binary((ag.male, ag.male >= 0.5), "MALE", "FEMALE")
        expr = self.expression.predict(image, mesh)
        st_expression = max(expr, key=lambda k: expr[k])
        acc = predict_accessories(accessory_features(FaceRegions(mesh)))
        p_sun, sun = acc.get("sunglasses", (0.0, False))
        p_glass, glass_on = acc.get("glasses", (0.0, False))
        if sun:
            glass, glass_conf = "SUNGLASSES", p_sun
        elif glass_on:
            glass, glass_conf = "TRANSPARENT_GLASSES", p_glass
        else:
            glass, glass_conf = "GLASSES_STYLE_TYPE_NONE", (1.0 - p_sun) * (1.0 - p_glass)
        mustache, mustache_conf = _binary(acc.get("mustache"), "WHISKERS", "MUSTACHE_STYLE_TYPE_NONE")
        mask, mask_conf = _binary(acc.get("mask"), "COLOR_TYPE_OTHER", "COLOR_TYPE_NONE")
        cap, cap_conf = _binary(acc.get("cap"), "CAP", "HAT_STYLE_TYPE_NONE")
        # Fitted on synthetic helmets drawn on the photos (no real helmet photo): see docs/attributes.md.
        helmet, helmet_conf = _binary(acc.get("helmet"), "ST_HELMET", "ST_HELMET_STYLE_TYPE_NONE")
        if helmet == "ST_HELMET" and cap == "CAP":
            # A helmet's shell also reads as a cap to the cap model, which never saw a helmet; the helmet
            # model was fitted with caps (real and drawn) among its negatives, so its "helmet" stands.
            cap, cap_conf = "HAT_STYLE_TYPE_NONE", helmet_conf
        out: dict[str, Any] = {
            "age_lower_limit": int(lower),
            "age_up_limit": int(upper),
            "st_age": st_age,
            "gender_code": gender,
            "mustache_style": mustache,
            "respirator_color": mask,
            "glass_style": glass,
            "cap_style": cap,
            "st_helmet_style": helmet,
            "st_expression": st_expression,
            "st_respirator": None,
        }
        conf = {"st_age": age_conf, "gender_code": gender_conf, "mustache_style": mustache_conf,
                "respirator_color": mask_conf, "glass_style": glass_conf, "cap_style": cap_conf,
                "st_helmet_style": helmet_conf, "st_expression": expr[st_expression]}
        for key in CONFIDENCE_KEYS:
            out[f"{key}_confidence"] = round(float(conf[key]), 4)
        out["age_confidence"] = round(float(inside), 4)
        out["age_estimate"] = round(float(ag.age), 1)
        return out
