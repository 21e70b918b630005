"""Issue 14: a bounded schemathesis run over every operation of the served OpenAPI document, against the
real app (real engine, real store) in process, each request signed as a Mercury client signs it. It must find
no server error and no answer that breaks the document (status, content type, body schema).

Valid and invalid requests (schemathesis' positive and negative modes). Bounded: ``FACEPRINT_FUZZ_EXAMPLES``
examples per operation (default 60: about 30 s on 2 cores).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from faceprint.api import create_app  # noqa: E402
from faceprint.engine import Engine  # noqa: E402
from faceprint.settings import Settings  # noqa: E402
from faceprint.signing import sign_request  # noqa: E402
from tests.client._apps import Tenant, make_tenant, open_test_store  # noqa: E402

EXAMPLES = int(os.environ.get("FACEPRINT_FUZZ_EXAMPLES", "60"))
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, engine: Engine) -> Iterator[tuple[Any, Tenant, str]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    s = Settings(data_dir=tmp / "data", model_dir=tmp / "m", inference_threads=2)
    store = open_test_store(s)
    tenant = make_tenant(store, s)
    app = create_app(s, engine=engine, store=store)
    db = store.create_database(tenant.app_id, "fuzz", "", 100, engine.packs[engine.default_pack].model_version)
    yield app, tenant, db.db_id
    store.close()


def _sign(case: Any, tenant: Tenant, db_id: str) -> None:
    params = case.path_parameters or {}
    if "app_id" in params:
        params["app_id"] = tenant.app_id
    if "db_id" in params and hash(str(params["db_id"])) % 2 == 0:
        params["db_id"] = db_id  # half the cases reach a real database
    path = case.formatted_path
    query = case.query or {}
    uri = path
    if query:
        import urllib.parse

        uri += "?" + urllib.parse.urlencode(query, doseq=True)
    headers = dict(case.headers or {})
    headers.pop("x-date", None)
    headers.update(sign_request(tenant.access_key, tenant.secret, case.method.upper(), uri))
    case.headers = headers


def _fuzzer(op: Any, tenant: Tenant, db_id: str, seen: Counter[str]) -> Any:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(op.as_strategy(), op.as_strategy(GenerationMode.NEGATIVE)))
    def run(case: Any) -> None:
        _sign(case, tenant, db_id)
        response = case.call_and_validate(checks=CHECKS)
        seen[f"{op.method.upper()} {op.path} {response.status_code}"] += 1

    return run


def test_fuzz_every_operation(served: tuple[Any, Tenant, str]) -> None:
    app, tenant, db_id = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # deletions last, so that the other operations reach the live database
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=lambda o: o.method.upper() == "DELETE")
    assert len(operations) >= 14
    failures: list[str] = []
    seen: Counter[str] = Counter()
    for op in operations:
        try:
            _fuzzer(op, tenant, db_id, seen)()
        except Exception as e:
            failures.append(f"{op.method.upper()} {op.path}: {type(e).__name__}: {str(e)[:1500]}")
    assert not failures, "\n\n".join(failures)
    # the run reached every operation, past the signature, and some answers were successes
    for op in operations:
        label = f"{op.method.upper()} {op.path} "
        assert any(k.startswith(label) and not k.endswith(" 401") for k in seen), (label, seen)
    assert sum(v for k, v in seen.items() if k.endswith(" 200")) >= len(operations), seen
    print(sorted(seen.items()))  # shown with -s
