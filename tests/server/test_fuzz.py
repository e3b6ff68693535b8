"""Fuzzing every operation of the OpenAPI schema with schemathesis: no input gives a 5xx.

About 100 generated requests in all (two valid per operation, one invalid per operation with
query or body parameters), with a fixed seed and no example database, so the run is
deterministic and fast. The data directory holds one complete
calculation (id 1), so that generated ids sometimes reach real outputs.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from toolkit.jobs.runner import run_job
from toolkit.server import create_app

from .helpers import scenario_job, server_settings


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    config = server_settings(root / "data", max_upload_mb=1.0, max_unzipped_mb=1.0)
    run_job(scenario_job(root / "job"), config, progress=False)
    app = create_app(config)
    yield app
    app.state.toolkit.manager.stop(abort_running=True, timeout=5.0)


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


def _operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_no_server_errors(api_schema, mode):
    """Two valid requests per operation, one invalid request per operation that has query or
    body parameters."""
    failures: list[str] = []
    for operation in _operations(api_schema):
        if mode is GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
            continue  # string path parameters cannot be made invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=2 if mode is GenerationMode.POSITIVE else 1, derandomize=True,
                  database=None, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> "
                                f"{response.status_code} {response.text[:300]}")

        try:
            check()
        except Unsatisfiable:  # nothing to make invalid
            continue
    assert not failures, "\n".join(failures)


def test_the_schema_covers_the_routes(api_schema):
    paths = set(api_schema.raw_schema["paths"])
    assert {"/v1/calc/list", "/v1/calc/run", "/v1/calc/{calc_id}/extract/{spec}",
            "/v1/calc/result/{output}", "/accounts/ajax_login/"} <= paths
    assert len(paths) >= 35
