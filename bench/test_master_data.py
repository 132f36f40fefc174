"""Finding a place and listing master data, against raw SQL on the same demo hospital."""

import pytest
from django.db import connection

from houqin.accounts.models import User
from houqin.accounts.tokens import create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client):
    client.force_login(User.objects.get(username="agent1"), backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def token():
    _obj, key = create_token(User.objects.get(username="sysadmin"), name="bench", by=None)
    return key


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_location_picker(benchmark, agent_client):
    response = benchmark(agent_client.get, "/org/locations/pick/", {"q": "mzl3"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["items"]


def test_location_picker_baseline(benchmark):
    rows = benchmark(
        raw,
        "SELECT id, code, name, full_name FROM org_location WHERE is_active AND search_text LIKE %s ORDER BY code LIMIT 20",
        ["%mzl3%"],
    )
    assert rows


def test_location_list_api(benchmark, client, token):
    response = benchmark(
        client.get, "/api/v1/locations", {"limit": 50, "kind": "room"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200 and len(response.json()["items"]) == 50


def test_location_list_api_baseline(benchmark):
    sql = (
        "SELECT l.id, l.code, l.name, l.kind, l.full_name, l.created, l.last_updated, s.code, s.name, p.code, p.name "
        "FROM org_location l JOIN org_site s ON s.id = l.site_id LEFT JOIN org_location p ON p.id = l.parent_id "
        "WHERE l.kind = %s ORDER BY l.tree_path LIMIT 50"
    )
    rows = benchmark(lambda: (raw("SELECT COUNT(*) FROM org_location WHERE kind = %s", ["room"]), raw(sql, ["room"])))
    assert len(rows[1]) == 50


def test_people_list_page(benchmark, agent_client):
    response = benchmark(agent_client.get, "/org/people/", {"q": "zhang"})
    assert response.status_code == 200


def test_people_list_page_baseline(benchmark):
    sql = (
        "SELECT p.id, p.employee_no, p.name, p.phone, c.name, d.name, t.name FROM org_person p "
        "JOIN org_company c ON c.id = p.company_id LEFT JOIN org_department d ON d.id = p.department_id "
        "LEFT JOIN org_team t ON t.id = p.team_id WHERE p.search_text LIKE %s ORDER BY p.employee_no LIMIT 25"
    )
    benchmark(
        lambda: (raw("SELECT COUNT(*) FROM org_person WHERE search_text LIKE %s", ["%zhang%"]), raw(sql, ["%zhang%"]))
    )
