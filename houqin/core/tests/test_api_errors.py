"""The error format, and that input a user can type never gives a 500."""

import pytest
from django.test import override_settings

from houqin.core.tests.apiclient import Api, api_as, bearer
from houqin.org.models import Site
from houqin.org.tests.factories import DepartmentFactory, SiteFactory


@pytest.fixture
def admin_api(cast, client):
    return api_as(client, cast.system_admin)


def test_invalid_input_names_the_fields_in_chinese(cast, client):
    api = Api(client, cast.system_admin, language="zh-hans")
    response = api.post("/departments", {"code": "X", "site": "NOPE"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"]["name"] == ["这个字段是必填项。"]
    assert body["errors"]["kind"] == ["这个字段是必填项。"]
    assert "site" in body["errors"]


def test_invalid_input_names_the_fields_in_english(cast, client):
    response = api_as(client, cast.system_admin).post("/departments", {"code": "X", "site": "MAIN"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["This field is required."], "kind": ["This field is required."]}


def test_type_errors_are_named_and_translated(cast, client):
    api = Api(client, cast.system_admin, language="zh-hans")
    response = api.post("/sites", {"code": "EAST", "name": ["not", "text"], "beds": "many", "is_active": "perhaps"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["beds"] == ["输入整数。"]
    assert set(errors) == {"name", "beds", "is_active"}


def test_it_answers_400_for_malformed_json(admin_api):
    response = admin_api.post("/sites", raw="{'code': 'EAST'")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("raw", ["[]", '"EAST"', "42", "null", ""])
def test_it_answers_400_for_a_body_that_is_not_an_object(admin_api, raw):
    response = admin_api.post("/sites", raw=raw)
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"] or response.json()["errors"]


def test_it_answers_400_for_text_that_is_not_utf8(admin_api):
    assert admin_api.post("/sites", raw=b'{"code": "\xff\xfe"}').status_code == 400


def test_it_answers_400_for_huge_numbers(admin_api):
    response = admin_api.post("/sites", {"code": "EAST", "name": "东院", "beds": 10**30})
    assert response.status_code == 400
    assert "beds" in response.json()["errors"]
    response = admin_api.post("/departments", {"code": "D", "name": "科", "kind": "clinical", "site": 10**30})
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    response = admin_api.post("/departments", {"code": "D", "name": "科", "kind": "clinical", "site": "9" * 40})
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    assert (
        admin_api.post(
            "/locations", {"code": "L", "name": "x", "kind": "campus", "site": "MAIN", "area_m2": 1e308}
        ).status_code
        == 400
    )
    assert (
        admin_api.post(
            "/locations", {"code": "L", "name": "x", "kind": "campus", "site": "MAIN", "area_m2": "1e400"}
        ).status_code
        == 400
    )
    assert admin_api.get("/sites/" + "9" * 40).status_code == 404
    assert admin_api.get("/sites/²").status_code == 404
    assert admin_api.get("/sites", {"limit": 10**30}).status_code == 400
    assert admin_api.get("/sites", {"offset": 10**30}).status_code == 400
    assert admin_api.get("/departments", {"site": 10**30}).json()["count"] == 0
    assert admin_api.get("/certificates", {"expiring_within_days": 10**30}).status_code == 400


def test_it_answers_400_for_nul_characters(admin_api):
    response = admin_api.post("/sites", {"code": "EAST", "name": "东\x00院"})
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    response = admin_api.post("/departments", {"code": "D", "name": "科", "kind": "clinical", "site": "MA\x00IN"})
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    assert admin_api.get("/sites", {"q": "a\x00b"}).status_code == 400
    assert admin_api.get("/departments", {"site": "MA\x00IN"}).status_code == 400
    assert admin_api.get("/locations", {"location": "\x00"}).status_code == 400
    assert admin_api.get("/sites/MA%00IN").status_code == 404
    assert not Site.objects.filter(code="EAST").exists()


def test_it_answers_400_for_overlong_strings(admin_api):
    response = admin_api.post("/sites", {"code": "EAST", "name": "院" * 101})
    assert response.status_code == 400
    assert response.json()["errors"]["name"] == ["Ensure this value has at most 100 characters (it has 101)."]
    assert admin_api.get("/sites", {"q": "x" * 5000}).status_code in (200, 400)


@override_settings(HOUQIN_MAX_UPLOAD_BYTES=1000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_it_answers_413_for_an_oversized_body(admin_api):
    response = admin_api.post("/sites", {"code": "EAST", "name": "东院", "address": "x" * 2000})
    assert response.status_code == 413
    assert set(response.json()) == {"detail", "errors"}


def test_it_answers_404_alike_for_missing_objects(admin_api):
    response = admin_api.get("/sites/NOWHERE")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}
    assert admin_api.patch("/sites/NOWHERE", {"name": "x"}).status_code == 404
    assert admin_api.delete("/sites/NOWHERE").status_code == 404


def test_pagination_bounds(cast, admin_api):
    for n in range(4):
        SiteFactory(code=f"S-{n}")
    page = admin_api.get("/sites", {"limit": 2, "offset": 1}).json()
    assert page["count"] == 5
    assert [site["code"] for site in page["items"]] == ["S-0", "S-1"]
    assert admin_api.get("/sites", {"limit": 1000}).status_code == 200
    assert admin_api.get("/sites", {"offset": 99}).json() == {"count": 5, "items": []}
    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}):
        response = admin_api.get("/sites", params)
        assert response.status_code == 400, params
        assert list(response.json()["errors"]) == list(params)
    assert admin_api.get("/sites", {"limit": 1001}).json()["errors"]["limit"] == [
        "Ensure this value is less than or equal to 1000."
    ]


def test_the_default_page_is_50(cast, admin_api):
    for n in range(55):
        SiteFactory(code=f"S-{n:02d}")
    page = admin_api.get("/sites").json()
    assert page["count"] == 56
    assert len(page["items"]) == 50


def test_sort_accepts_only_the_sortable_keys(cast, admin_api):
    DepartmentFactory(code="AAA", name="甲", site=cast.site)
    codes = [d["code"] for d in admin_api.get("/departments", {"sort": "-code"}).json()["items"]]
    assert codes == sorted(codes, reverse=True)
    response = admin_api.get("/departments", {"sort": "site__name"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["sort"]


def test_invalid_filter_values_answer_400_naming_the_parameter(admin_api):
    response = admin_api.get("/locations", {"kind": ["room", "palace"]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kind"]
    response = admin_api.get("/certificates", {"expires_before": "2025-13-45"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["expires_before"]


def test_a_bad_idempotency_key_is_400(admin_api):
    response = admin_api.post("/sites", {"code": "EAST", "name": "东院"}, HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]


def test_a_token_speaks_its_users_language_unless_the_request_asks_for_another(cast, client):
    cast.system_admin.language = "en"
    cast.system_admin.save()
    headers = bearer(cast.system_admin)
    response = client.post("/api/v1/sites", "{}", content_type="application/json", **headers)
    assert response.json()["errors"]["code"] == ["This field is required."]
    assert response["Content-Language"] == "en"
    response = client.post(
        "/api/v1/sites", "{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans", **headers
    )
    assert response.json()["errors"]["code"] == ["这个字段是必填项。"]
    assert response["Content-Language"] == "zh-hans"
