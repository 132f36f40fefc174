"""Schemathesis sends generated valid and invalid requests to every operation of the OpenAPI
schema, through the WSGI application, as a system administrator: none may answer 5xx."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from houqin.core.tests.apiclient import bearer
from houqin.org.models import LocationKind
from houqin.org.tests.factories import (
    CertificateFactory,
    DirectoryEntryFactory,
    LocationFactory,
    PersonFactory,
    TeamFactory,
    TradeFactory,
)

EXAMPLES_PER_OPERATION = 8


@pytest.fixture
def connection_kept_open():
    """Like Django's test client: the WSGI handler must not close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_no_request_makes_the_api_fail(cast, connection_kept_open):
    from houqin.wsgi import application

    campus = LocationFactory(code="A", name="本部", kind=LocationKind.CAMPUS, site=cast.site)
    LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=cast.site, parent=campus)
    team = TeamFactory(code="MEP", company=cast.hospital)
    team.trades.add(TradeFactory(code="ELEC"))
    person = PersonFactory(company=cast.hospital)
    DirectoryEntryFactory(number="8123", label="总务科", department=cast.dept, person=person)
    certificate = CertificateFactory(person=person)
    # Generated refs rarely name a real object: also aim at objects that exist.
    existing = {
        "sites": "MAIN",
        "locations": "A1",
        "departments": "XNK",
        "companies": "HOSP",
        "teams": "MEP",
        "trades": "ELEC",
        "people": person.employee_no,
        "certificates": str(certificate.pk),
        "directory": "8123",
    }

    headers = {"Authorization": bearer(cast.system_admin)["HTTP_AUTHORIZATION"], "Accept-Language": "zh-hans"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:
        runs = [(mode, None) for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)]
        resource = operation.path.split("/")[3]
        # Other apps' resources get generated refs here; e.g. houqin/servicedesk/tests/test_api_fuzz.py
        # aims at real work orders, as the roles that may act on them.
        if "{ref}" in operation.path and resource in existing:
            runs.append((schemathesis.GenerationMode.POSITIVE, {"ref": existing[resource]}))
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
