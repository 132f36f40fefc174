"""A picker filter shows the chosen row's name only when the user may see that row."""

from houqin.org.tests.factories import PersonFactory


def test_a_person_filter_does_not_name_another_companys_person(client_for, cast):
    stranger = PersonFactory(employee_no="LIFT-007", name="邱建飞", company=cast.other_contractor)
    own = PersonFactory(employee_no="CLEAN-001", name="陈洁", company=cast.contractor)
    client = client_for(cast.contractor_manager)

    foreign = client.get("/servicedesk/orders/", {"assignee": stranger.employee_no})
    mine = client.get("/servicedesk/orders/", {"assignee": own.employee_no})

    assert foreign.status_code == 200
    assert "邱建飞" not in foreign.content.decode()
    assert "陈洁" in mine.content.decode()
