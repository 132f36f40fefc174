"""Defects found walking the master-data pages in Chromium as each role, kept from coming back."""

import datetime

import pytest
from django.urls import reverse

from houqin.core.generic import Table
from houqin.org import specs, tables
from houqin.org.models import LocationKind
from houqin.org.tests.factories import CertificateFactory, CompanyFactory, LocationFactory, PersonFactory


def test_a_location_page_lists_its_sub_locations_in_the_trees_order(cast, client_for):
    # Created in this order, the sub-locations' internal paths sort as X10, X2, X-W1.
    campus = LocationFactory(code="X", name="测试院区", kind=LocationKind.CAMPUS, site=cast.site)
    for code in ("X10", "X2", "X-W1"):
        LocationFactory(code=code, parent=campus, site=cast.site, kind=LocationKind.BUILDING)

    response = client_for(cast.system_admin).get(reverse("org:location_detail", args=[campus.pk]))

    html = response.content.decode()
    positions = [html.index(f"<code>{code}</code>") for code in ("X2", "X10", "X-W1")]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("columns", "accessors"),
    [
        (tables.CERTIFICATE_COLUMNS, {"person.company", "issuer"}),
        (tables.PERSON_COLUMNS, {"company"}),
    ],
)
def test_long_company_and_issuer_names_wrap_so_the_last_columns_stay_in_view(cast, columns, accessors):
    # On a 1366-pixel screen the certificates' "days left" and the people's edit links were cut off.
    company = CompanyFactory(name="杭州禾膳餐饮管理有限公司杭州禾膳餐饮管理有限公司")
    person = PersonFactory(company=company)
    certificate = CertificateFactory(
        person=person, issuer="杭州市公安局交通警察支队车辆管理所", expires_on=datetime.date(2030, 1, 1)
    )
    spec, row = (specs.CERTIFICATE, certificate) if columns is tables.CERTIFICATE_COLUMNS else (specs.PERSON, person)

    table = Table(spec, columns, [row], user=cast.system_admin)

    cells = dict(zip([col.accessor for col in columns], table.rows[0].cells, strict=True))
    for accessor in accessors:
        # They wrap, but keep a few characters a line (app.css: td.hq-wrap has a minimum width).
        assert cells[accessor].css.split() == ["hq-wrap"]
