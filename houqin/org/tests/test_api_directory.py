import pytest

from houqin.core.tests.apiclient import api_as
from houqin.org.api import normalize_phone
from houqin.org.models import LocationKind
from houqin.org.tests.factories import DirectoryEntryFactory, LocationFactory, PersonFactory


@pytest.fixture
def station(cast):
    ward = LocationFactory(code="B5", name="5病区", kind=LocationKind.BUILDING, site=cast.site)
    return DirectoryEntryFactory(number="13900000000", label="心内科护士站", department=cast.dept, location=ward)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("+86 139-0000-0000", "13900000000"),
        ("0086 13900000000", "13900000000"),
        ("(010) 8888-1234", "01088881234"),
        (" 8123 ", "8123"),
    ],
)
def test_phone_numbers_are_normalised(typed, number):
    assert normalize_phone(typed) == number


def test_a_directory_number_tells_who_is_calling(cast, client, station):
    response = api_as(client, cast.agent).get("/directory/lookup", {"phone": "+86 139-0000-0000"})
    assert response.status_code == 200
    body = response.json()
    assert body["phone"] == "13900000000"
    assert body["matches"] == [
        {
            "source": "directory",
            "who": "心内科护士站",
            "department": {"id": cast.dept.pk, "code": "XNK", "name": "心内科"},
            "location": {"id": station.location_id, "code": "B5", "name": "5病区"},
            "person": None,
        }
    ]


def test_a_number_written_with_separators_in_the_directory_is_found(cast, client):
    DirectoryEntryFactory(number="010-8888 1234", label="总务科")
    body = api_as(client, cast.agent).get("/directory/lookup", {"phone": "01088881234"}).json()
    assert [match["who"] for match in body["matches"]] == ["总务科"]


def test_a_mobile_phone_of_a_person_is_found_when_the_directory_has_none(cast, client):
    person = PersonFactory(name="赵六", phone="13700001111", company=cast.hospital, department=cast.other_dept)
    body = api_as(client, cast.agent).get("/directory/lookup", {"phone": "+86 137 0000 1111"}).json()
    assert body["matches"] == [
        {
            "source": "person",
            "who": "赵六",
            "department": {"id": cast.other_dept.pk, "code": "GK", "name": "骨科"},
            "location": None,
            "person": {"id": person.pk, "code": person.employee_no, "name": "赵六"},
        }
    ]


def test_people_are_looked_up_only_for_those_who_may_see_them(cast, client):
    PersonFactory(phone="13700001111", company=cast.hospital)
    body = api_as(client, cast.worker).get("/directory/lookup", {"phone": "13700001111"}).json()
    assert body["matches"] == []


def test_an_unknown_number_has_no_matches(cast, client, station):
    response = api_as(client, cast.agent).get("/directory/lookup", {"phone": "021-5555 0000"})
    assert response.status_code == 200
    assert response.json() == {"phone": "02155550000", "matches": []}


def test_a_deactivated_entry_is_not_a_match(cast, client, station):
    station.is_active = False
    station.save()
    assert api_as(client, cast.agent).get("/directory/lookup", {"phone": "13900000000"}).json()["matches"] == []


@pytest.mark.parametrize("phone", ["", "abc", "+86", "1" * 70, "139\x000000"])
def test_it_refuses_what_is_not_a_phone_number(cast, client, phone):
    response = api_as(client, cast.agent).get("/directory/lookup", {"phone": phone})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phone"]


def test_it_needs_the_phone_parameter(cast, client):
    response = api_as(client, cast.agent).get("/directory/lookup")
    assert response.status_code == 400
    assert response.json()["errors"] == {"phone": ["This field is required."]}


def test_a_user_who_may_see_no_directory_is_refused(cast, client):
    assert api_as(client, cast.outsider).get("/directory/lookup", {"phone": "8123"}).status_code == 403


def test_the_directory_is_kept_by_number(cast, client, station):
    api = api_as(client, cast.agent)
    response = api.post("/directory", {"number": "8200", "label": "5病区医生办", "location": "B5", "department": "XNK"})
    assert response.status_code == 201, response.content
    assert api.get("/directory/8200").json()["location"]["code"] == "B5"
    response = api.patch("/directory/8200", {"label": "5病区医生办公室"})
    assert response.json()["label"] == "5病区医生办公室"
    assert api.get("/directory", {"q": "8200"}).json()["count"] == 1
