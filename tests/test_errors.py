"""The error table: every cause has its own stable internal code and a sensible HTTP status."""

from __future__ import annotations

from faceprint.errors import GRPC_TO_HTTP, BodyTooLarge, DatabaseFull, NoFace, WrongApp, all_error_types


def test_internal_codes_are_unique_and_statuses_known() -> None:
    types = all_error_types()
    codes = [t.internal_code for t in types]
    assert len(codes) == len(set(codes)) and len(codes) >= 30
    for t in types:
        assert t.code in GRPC_TO_HTTP and t.code != 0
        assert t().status >= 400


def test_status_mapping_examples() -> None:
    assert NoFace().status == 400 and NoFace().code == 3
    assert DatabaseFull().status == 429 and DatabaseFull().code == 8
    assert WrongApp().status == 403 and WrongApp().code == 7
    assert BodyTooLarge().status == 413
    assert NoFace("x").to_status() == {"code": 3, "message": "x", "internal_code": 1201}
