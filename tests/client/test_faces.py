"""The SDK against the real app with the real engine: detect, compare, quality, features and search."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageOps

from faceprint import errors as fe
from faceprint.client import ApiError, Client, NewFeature, Rectangle
from tests.client._apps import DAMON_2, NO_FACE, PHOTOS

ATTRIBUTE_KEYS = {"age_lower_limit", "age_up_limit", "st_age", "gender_code", "mustache_style",
                  "respirator_color", "glass_style", "cap_style", "st_helmet_style", "st_expression"}


def test_detect_finds_the_face_in_each_image(ffp: Client, faces_dir: Path) -> None:
    paths = [faces_dir / PHOTOS["obama"], faces_dir / NO_FACE]
    r = ffp.detect(paths)
    assert [s.ok for s in r.results] == [True, True]
    assert len(r.batches[0].faces) == 1 and r.batches[1].faces == []  # no face: code 0, faces []
    face = r.batches[0].faces[0]
    with Image.open(paths[0]) as im:
        w, h = ImageOps.exif_transpose(im).size
    rect = face.rectangle
    assert 0 <= rect.left < rect.right <= w and 0 <= rect.top < rect.bottom <= h
    assert rect.width >= 32 and 0.0 < face.quality <= 1.0
    assert set(face.raw["attributes"]) >= ATTRIBUTE_KEYS
    assert face.attributes.gender_code is not None and face.attributes.st_age is not None
    assert face.landmarks and all(rect.left - rect.width < p.x < rect.right + rect.width for p in face.landmarks)
    assert face.angle is not None


def test_detect_accepts_bytes_base64_and_a_rectangle(ffp: Client, faces_dir: Path) -> None:
    path = faces_dir / PHOTOS["obama"]
    by_path = ffp.detect(path).faces[0].rectangle
    assert ffp.detect(path.read_bytes()).faces[0].rectangle == by_path
    # a rectangle away from the face: nothing found there
    r = ffp.detect([path], rectangles=[Rectangle(top=0, left=0, width=40, height=40)])
    assert r.results[0].ok and r.faces == []


def test_a_corrupt_image_fails_only_its_item(ffp: Client, faces_dir: Path) -> None:
    r = ffp.detect([b"\xff\xd8\xff\xe0 this is not a jpeg at all", faces_dir / PHOTOS["musk"]])
    assert not r.results[0].ok and r.results[0].code == 3
    err = r.results[0].to_error(r.trace_id)
    assert isinstance(err, fe.InvalidArgument) and isinstance(err, ApiError)
    assert r.results[1].ok and len(r.batches[1].faces) == 1


def test_compare_scores_the_same_person_above_another(ffp: Client, faces_dir: Path) -> None:
    same = ffp.compare(faces_dir / PHOTOS["damon"], faces_dir / DAMON_2)
    other = ffp.compare(faces_dir / PHOTOS["damon"], faces_dir / PHOTOS["obama"])
    assert 0.0 <= other.score < same.score <= 1.0
    assert same.one_face.rectangle.width > 0 and same.another_face.rectangle.width > 0


def test_compare_without_a_face_raises_no_face(ffp: Client, faces_dir: Path) -> None:
    with pytest.raises(fe.NoFace) as info:
        ffp.compare(faces_dir / PHOTOS["damon"], faces_dir / NO_FACE)
    assert (info.value.status, info.value.code, info.value.internal_code) == (400, 3, 1201)


def test_quality_reports_every_field(ffp: Client, faces_dir: Path) -> None:
    q = ffp.quality(faces_dir / PHOTOS["obama"])
    assert {"distance2center", "align_score", "brightness", "sharpness", "mouth_open", "missing", "size"} \
        <= set(q.raw["face"]["quality"])
    assert {"occlusion_total", "eye", "nose", "mouth", "eyebrow", "face_line"} <= set(q.raw["face"]["occlusion"])
    assert q.optimal_rotation_angle in (0, 90, 180, 270)
    assert 0.0 < q.face.quality.size < 1.0 and q.face.quality.sharpness > 0.0


def test_features_and_search_round_trip(ffp: Client, faces_dir: Path) -> None:
    db = ffp.create_database("people", 100)
    items = [NewFeature(faces_dir / f, key=k, extra_info=f'{{"file": "{f}"}}') for k, f in PHOTOS.items()]
    added = ffp.add_features(db.db_id, [*items, (faces_dir / NO_FACE, "nobody")])
    pairs = added.items()
    assert [s.ok for s, _ in pairs] == [True] * len(PHOTOS) + [False]
    assert pairs[-1][0].internal_code == fe.NoFace.internal_code and pairs[-1][1] is None
    ids = {f.key: f.feature_id for _, f in pairs if f is not None}
    assert set(ids) == set(PHOTOS) and all(ids.values())
    assert ffp.get_database(db.db_id).size == len(PHOTOS)

    for key, file in PHOTOS.items():
        r = ffp.search(faces_dir / file, db.db_id, top_k=3)
        assert r.results[0].ok and r.face is not None
        hits = r.batches[0].features
        assert len(hits) == 3 and hits[0].feature.key == key
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    # the second photo of Matt Damon finds the first, and min_score filters before top_k
    r = ffp.search(faces_dir / DAMON_2, [db.db_id], top_k=6)
    assert r.hits[0].feature.key == "damon"
    cut = (r.hits[0].score + r.hits[1].score) / 2
    only = ffp.search(faces_dir / DAMON_2, [db.db_id], top_k=6, min_score=cut)
    assert [h.feature.key for h in only.hits] == ["damon"]

    f = ffp.get_feature(db.db_id, ids["obama"]).feature
    assert (f.key, f.extra_info) == ("obama", f'{{"file": "{PHOTOS["obama"]}"}}')
    assert ffp.update_extra_info(db.db_id, ids["obama"], "president").feature.extra_info == "president"
    assert ffp.get_feature(db.db_id, ids["obama"]).feature.extra_info == "president"
    ffp.delete_feature(db.db_id, ids["obama"])
    with pytest.raises(fe.FeatureNotFound):
        ffp.get_feature(db.db_id, ids["obama"])
    assert ffp.search(faces_dir / PHOTOS["obama"], db.db_id).hits[0].feature.key != "obama"


def test_search_in_an_unknown_database_fails_only_that_batch(ffp: Client, faces_dir: Path) -> None:
    db = ffp.create_database("one", 10)
    ffp.add_features(db.db_id, [(faces_dir / PHOTOS["musk"], "musk")])
    r = ffp.search(faces_dir / PHOTOS["musk"], [db.db_id, "no-such-db"])
    assert r.results[0].ok and r.batches[0].features[0].feature.key == "musk"
    assert r.results[1].code == 5 and r.batches[1].features == []
    assert isinstance(r.results[1].to_error(), fe.DatabaseNotFound)
