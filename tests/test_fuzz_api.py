"""Schemathesis against the app's own /openapi.json (issue 11): generated requests, valid and invalid, to
every operation, in-process (ASGI), as a tenant admin with a real record, contact and service to aim at.
Fails on any 5xx and on any answer that violates the response schema the document declares.

Bounded for CI (a few examples per operation: the whole run stays around a minute on two cores); for a
longer run by hand: ``DMS_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/test_fuzz_api.py``. Every request that
once broke something is kept as a regression test in tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import io
import os

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from api.app import create_app
from tests.conftest import embedded_runtime_for, embedded_settings_for, make_tenant

EXAMPLES = int(os.environ.get("DMS_FUZZ_EXAMPLES", "3"))  # CI: 3, the same examples every run; more: random


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    settings_ = embedded_settings_for(tmp_path_factory.mktemp("fuzz-api"))
    runtime = embedded_runtime_for(settings_)
    app = create_app(settings_, runtime)
    admin = make_tenant(runtime, role="admin")
    clerk = make_tenant(runtime, role="clerk", slug=admin.slug)
    with TestClient(app) as client:
        contact = client.post("/api/v1/contacts", headers=clerk.headers,
                              json={"kind": "organisation", "name": "Cible du fuzz"}).json()
        record = client.post("/api/v1/records", headers=clerk.headers, data={"sender_id": contact["id"]},
                             files={"file": ("fuzz.txt", io.BytesIO(b"Lettre pour le fuzz.\n"), "text/plain")}).json()
    known = {"record_id": record["id"], "file_id": record["files"][0]["id"], "contact_id": contact["id"]}
    return app, admin, known


def _operations(app) -> list:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_5xx_and_no_schema_violation(fuzz_world, mode):
    """Each operation in turn gets EXAMPLES generated requests; every failure is collected and named."""
    app, admin, known = fuzz_world
    failures: list[str] = []
    passes = []
    for operation in _operations(app):
        names = {p.name for p in operation.path_parameters}
        passes.append((operation, {}))
        if names and names <= set(known):  # again, aimed at real objects, to get past the 404
            passes.append((operation, {name: known[name] for name in names}))
    for operation, path_parameters in passes:

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 3, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case) -> None:
            case.call_and_validate(headers=admin.headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Unsatisfiable:
            pass  # nothing invalid to send (no parameters, no body)
        except Exception as exc:  # noqa: BLE001 (collected, then reported together)
            failures.append(f"{operation.label} {path_parameters or ''}: {str(exc)[:1500]}")
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
