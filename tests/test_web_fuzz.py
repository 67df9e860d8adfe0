"""A fuzz pass of the API from its own OpenAPI document (schemathesis): no 5xx, answers as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from qrpay.web import ServeSettings, create_app


@pytest.fixture
def api_schema(desk):
    code = desk.mint_scene("09", "window 1")[0]
    desk.revoke(desk.mint_scene("09", "window 2")[0].id, "replaced")
    assert code.payload
    app = create_app(ServeSettings(desk.settings, api_rate=0))
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_the_api_holds_to_its_openapi_document(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} == {"/api/v1/verify", "/api/v1/revocations", "/healthz"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate()  # not_a_server_error and conformance to the documented answers

        call()
