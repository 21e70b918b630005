"""Detect, compare and quality over HTTP with the real engine on real photos; every image error case."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest

from tests.api.conftest import Signed
from tests.api.test_databases import _err

ATTR_KEYS = {"age_lower_limit", "age_up_limit", "st_age", "gender_code", "mustache_style", "respirator_color",
             "glass_style", "cap_style", "st_helmet_style", "st_expression", "st_respirator"}


def _png_bomb(side: int = 30000) -> bytes:
    """A ~100-byte PNG declaring side x side 1-bit pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1 + side // 8) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _check_face(face: dict[str, object]) -> None:
    assert set(face) == {"rectangle", "quality", "angle", "landmarks", "attributes"}
    rect = face["rectangle"]
    assert isinstance(rect, dict) and set(rect) == {"top", "left", "width", "height"}
    assert all(isinstance(v, int) for v in rect.values()) and rect["width"] >= 32
    assert isinstance(face["quality"], float) and 0.0 <= face["quality"] <= 1.0
    assert set(face["angle"]) == {"yaw", "pitch", "roll"}  # type: ignore[arg-type]
    assert len(face["landmarks"]) == 5  # type: ignore[arg-type]
    attrs = face["attributes"]
    assert isinstance(attrs, dict) and set(attrs) == ATTR_KEYS
    assert attrs["gender_code"] in ("MALE", "FEMALE")
    assert attrs["st_age"] in ("ST_CHILD", "ST_ADULT", "ST_OLD")
    assert attrs["st_expression"] in ("ST_CALM", "ST_HAPPY", "ST_ANGRY", "ST_SURPRISED", "ST_SORROW")
    assert attrs["respirator_color"] in ("COLOR_TYPE_NONE", "COLOR_TYPE_OTHER")
    assert attrs["glass_style"] in ("GLASSES_STYLE_TYPE_NONE", "TRANSPARENT_GLASSES", "SUNGLASSES")
    assert 0 <= attrs["age_lower_limit"] <= attrs["age_up_limit"] <= 120


def test_detect_astronaut_without_photo_set(fapi: Signed) -> None:
    skimage_data = pytest.importorskip("skimage.data")
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).save(buf, format="PNG")
    r = fapi.post("/detect", {"images": [{"data": base64.b64encode(buf.getvalue()).decode()}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"] == [{"code": 0, "message": "Success.", "internal_code": 0}]
    assert len(body["batches"][0]["faces"]) == 1
    face = body["batches"][0]["faces"][0]
    _check_face(face)
    lm = face["landmarks"]
    assert lm[0]["x"] > lm[1]["x"] > lm[3]["x"] > lm[2]["x"]  # image-right eye first, then image-left eye
    r = face["rectangle"]
    assert all(r["left"] <= p["x"] <= r["left"] + r["width"] and r["top"] <= p["y"] <= r["top"] + r["height"]
               for p in lm)


def test_detect_batch_lines_up_with_images(fapi: Signed, photos: dict[str, str]) -> None:
    jpeg = base64.b64decode(photos["jolie1"])
    images = [
        {"data": photos["jolie1"]},
        {"data": photos["couple"]},
        {"data": photos["noface"]},
        {"data": base64.b64encode(jpeg[: len(jpeg) // 2]).decode()},   # truncated
        {"data": "not base64 !!!"},
        {"data": base64.b64encode(b"%PDF-1.4 not an image").decode()},
        {"data": base64.b64encode(_png_bomb()).decode()},
        {"data": "data:image/png;base64," + photos["obama_png"]},
    ]
    r = fapi.post("/detect", {"images": images})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["results"]) == len(body["batches"]) == len(images)
    codes = [(s["code"], s["internal_code"]) for s in body["results"]]
    assert codes[:3] == [(0, 0), (0, 0), (0, 0)]
    assert codes[3] == (3, 1104)
    assert codes[4] == (3, 1101)
    assert codes[5] == (3, 1102)
    assert codes[6] == (3, 1105)
    assert codes[7] == (0, 0)
    faces = [len(b["faces"]) for b in body["batches"]]
    assert faces == [1, 2, 0, 0, 0, 0, 0, 1]
    for b in body["batches"]:
        for f in b["faces"]:
            _check_face(f)


def test_detect_rectangle_limits_the_faces(fapi: Signed, photos: dict[str, str]) -> None:
    whole = fapi.post("/detect", {"images": [{"data": photos["couple"]}]}).json()["batches"][0]["faces"]
    assert len(whole) == 2
    left = min(whole, key=lambda f: f["rectangle"]["left"])["rectangle"]
    rect = {"top": max(left["top"] - 10, 0), "left": max(left["left"] - 10, 0),
            "width": left["width"] + 20, "height": left["height"] + 20}
    r = fapi.post("/detect", {"images": [{"data": photos["couple"], "rectangle": rect}]}).json()
    got = r["batches"][0]["faces"]
    assert len(got) == 1
    assert abs(got[0]["rectangle"]["left"] - left["left"]) <= 8


def test_detect_sideways_photo(fapi: Signed, photos: dict[str, str]) -> None:
    r = fapi.post("/detect", {"images": [{"data": photos["jolie6_rot90"]}]}).json()
    assert len(r["batches"][0]["faces"]) == 1


def test_image_over_8mb(fapi: Signed) -> None:
    big = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 9_000_000).decode()
    r = fapi.post("/detect", {"images": [{"data": big}]})
    assert r.status_code == 200
    assert (r.json()["results"][0]["code"], r.json()["results"][0]["internal_code"]) == (3, 1103)


def test_compare_same_and_different(fapi: Signed, photos: dict[str, str]) -> None:
    same = fapi.post("/compare", {"one": {"data": photos["jolie1"]}, "another": {"data": photos["jolie2"]}})
    assert same.status_code == 200, same.text
    s = same.json()
    assert set(s) == {"trace_id", "score", "one_face", "another_face"}
    _check_face(s["one_face"])
    _check_face(s["another_face"])
    diff = fapi.post("/compare", {"one": {"data": photos["jolie1"]}, "another": {"data": photos["damon1"]}})
    d = diff.json()
    assert 0.0 <= d["score"] < s["score"] <= 1.0
    ident = fapi.post("/compare", {"one": {"data": photos["obama1"]}, "another": {"data": photos["obama1"]}})
    assert ident.json()["score"] > 0.999


def test_compare_errors(fapi: Signed, photos: dict[str, str]) -> None:
    _err(fapi.post("/compare", {"one": {"data": photos["jolie1"]}, "another": {"data": photos["noface"]}}),
         400, 3, 1201)
    _err(fapi.post("/compare", {"one": {"data": "@@@"}, "another": {"data": photos["jolie1"]}}), 400, 3, 1101)
    _err(fapi.post("/compare", {"one": {"data": photos["jolie1"]}}), 400, 3, 1000)


def test_quality(fapi: Signed, photos: dict[str, str]) -> None:
    r = fapi.post("/quality", {"image": {"data": photos["obama1"]}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"trace_id", "face", "optimal_rotation_angle"}
    face = body["face"]
    assert set(face) == {"rectangle", "angle", "quality", "occlusion"}
    assert set(face["quality"]) == {"distance2center", "align_score", "brightness", "sharpness", "mouth_open",
                                    "missing", "size"}
    assert set(face["occlusion"]) == {"occlusion_total", "eye", "nose", "mouth", "eyebrow", "face_line"}
    assert 0.0 <= face["quality"]["size"] <= 1.0 and 0.0 <= face["quality"]["distance2center"] <= 1.0
    assert -1.0 <= face["quality"]["brightness"] <= 1.0
    assert body["optimal_rotation_angle"] == 0
    side = fapi.post("/quality", {"image": {"data": photos["jolie6_rot90"]}}).json()
    assert side["optimal_rotation_angle"] in (90, 270)
    _err(fapi.post("/quality", {"image": {"data": photos["landscape"]}}), 400, 3, 1201)
