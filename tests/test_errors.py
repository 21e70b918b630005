"""The error table: every cause has its own stable internal code under a gRPC canonical code."""

from __future__ import annotations

from faceprint.errors import DatabaseFull, FaceprintError, NoFace, WrongApp, all_error_types

#: The gRPC canonical codes the table uses (see the module docstring of faceprint.errors).
_GRPC_CODES = {3, 4, 5, 7, 8, 9, 12, 13, 14}


def test_internal_codes_are_unique_and_codes_known() -> None:
    types = all_error_types()
    codes = [t.internal_code for t in types]
    assert len(codes) == len(set(codes)) and len(codes) >= 30
    for t in types:
        assert t.code in _GRPC_CODES, t


def test_code_examples() -> None:
    assert (NoFace().code, DatabaseFull().code, WrongApp().code) == (3, 8, 7)
    assert NoFace("x").to_status() == {"code": 3, "message": "x", "internal_code": 1201}


def test_domain_errors_know_no_http() -> None:
    """HTTP statuses live in faceprint.api.errors only (the one place errors meet the wire)."""
    assert not hasattr(FaceprintError(), "status") and not hasattr(FaceprintError, "http_status")
