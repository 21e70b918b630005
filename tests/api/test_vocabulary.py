"""The guide's vocabulary is written once (faceprint.vocabulary); the API's models are held to it."""

from __future__ import annotations

from dataclasses import fields

from faceprint import vocabulary as v
from faceprint.api import responses as r


def test_quality_and_occlusion_answers_have_exactly_the_domain_fields() -> None:
    assert list(r.QualityScores.model_fields) == [f.name for f in fields(v.QualityScores)]
    assert list(r.Occlusion.model_fields) == [f.name for f in fields(v.Occlusion)]


def test_attributes_answer_lists_every_domain_attribute_and_its_spellings() -> None:
    wire = v.Attributes().to_wire()
    assert list(r.Attributes.model_fields) == list(wire)
    assert tuple(wire) == r.ATTRIBUTE_KEYS
    for name, kind in v.ENUM_FIELDS.items():
        assert r.Attributes.model_fields[name].description is not None
        assert all(m.value in r.Attributes.model_fields[name].description for m in kind), name


def test_attributes_round_trip_through_the_wire_and_unknown_spellings_parse_as_none() -> None:
    a = v.Attributes(age_lower_limit=25, age_up_limit=32, st_age=v.AgeClass.ADULT, gender_code=v.Gender.FEMALE,
                     glass_style=v.GlassStyle.SUNGLASSES, st_expression=v.Expression.HAPPY)
    wire = a.to_wire()
    assert wire["glass_style"] == "SUNGLASSES" and wire["cap_style"] == "" and wire["st_respirator"] == ""
    assert v.Attributes.from_wire(wire) == a
    odd = v.Attributes.from_wire({**wire, "glass_style": "MONOCLE", "age_up_limit": "old"})
    assert odd.glass_style is None and odd.age_up_limit == 0 and odd.gender_code is v.Gender.FEMALE
