"""Schemathesis against the service desk's operations, as the roles that use them and aimed at a
real order too: whatever is sent, no answer is a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from houqin.core.tests.apiclient import bearer
from houqin.core.tests.test_api_fuzz import connection_kept_open  # noqa: F401  (a fixture)
from houqin.servicedesk import services
from houqin.servicedesk.tests.test_api_work_orders import make_desk, new_order

EXAMPLES_PER_OPERATION = 8


@pytest.mark.slow
@pytest.mark.parametrize("who", ["agent", "worker"])
def test_no_request_makes_the_service_desk_api_fail(cast, connection_kept_open, who):  # noqa: F811
    from houqin.wsgi import application

    desk = make_desk(cast)
    order = services.dispatch(new_order(desk), by=cast.agent, assignee=desk.worker)
    headers = {"Authorization": bearer(getattr(cast, who))["HTTP_AUTHORIZATION"], "Accept-Language": "zh-hans"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(("/api/v1/work-orders", "/api/v1/telephony"))]
    assert len(operations) >= 18

    for operation in operations:
        runs = [(mode, None) for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]
        if "{ref}" in operation.path:
            runs.append((schemathesis.GenerationMode.POSITIVE, {"ref": order.number}))
        for mode, path_parameters in runs:

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def call(case):
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error], headers=headers)

            call()
