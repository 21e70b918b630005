"""Domain errors -> HTTP statuses, in the one place that knows them (faceprint.api.errors), and the SDK's
own copy of the table agrees with it."""

from __future__ import annotations

from faceprint import errors as fe
from faceprint.api.errors import GRPC_TO_HTTP, http_status
from faceprint.client import error_type


def test_every_domain_error_has_an_error_status() -> None:
    for t in fe.all_error_types():
        assert t.code in GRPC_TO_HTTP and t.code != 0
        assert http_status(t()) >= 400, t


def test_status_mapping_examples() -> None:
    assert http_status(fe.NoFace()) == 400
    assert http_status(fe.DatabaseFull()) == 429
    assert http_status(fe.WrongApp()) == 403
    assert http_status(fe.RouteNotFound()) == 404
    assert http_status(fe.Overloaded()) == 503
    assert http_status(fe.ModelMissing()) == 500
    assert http_status(fe.BodyTooLarge()) == 413  # its own status, not its code's (400)


def test_sdk_reads_a_failed_item_with_the_status_the_server_gives_its_code() -> None:
    """A failed item of a batch has a code but no HTTP status; the SDK fills in the server's."""
    for t in fe.all_error_types():
        if t is fe.BodyTooLarge:  # a whole-request refusal, never an item's status
            continue
        cls = error_type(t.code, t.internal_code)
        assert cls("x").status == http_status(t()), t
        assert issubclass(cls, t)
    for code, status in GRPC_TO_HTTP.items():
        assert error_type(code, 0)("x").status == status
