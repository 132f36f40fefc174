"""The requester portal: reporting (logged in, or anonymously from a QR label with a phone
number and a rate limit), the tracking page, my requests, rating once, reopening, withdrawing,
commenting, complaints, photos served only within the order's scope, and the /q/ label page."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from houqin.conftest import make_user
from houqin.org.models import EmploymentType, LocationKind
from houqin.org.tests.factories import LocationFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import Channel, EventKind, FollowUpMethod, PhotoStage, Status, WorkOrder, WorkOrderPhoto
from houqin.servicedesk.photos import sniff_image
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0"


@pytest.fixture(autouse=True)
def english(client, settings):
    """Pages in English, so that messages can be compared (the default language is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    # The limit counts in the process-wide memory cache: every test starts with none used.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def portal(cast):
    site = cast.site
    site.phone = "0571-88881234"
    site.save()
    building = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=site)
    room = LocationFactory(code="A1-312", name="312室", kind=LocationKind.ROOM, site=site, parent=building)
    room.department = cast.other_dept
    room.save()
    repairs = ServiceCategoryFactory(code="WX", name="维修", name_en="Repairs", icon="tools")
    electrical = ServiceCategoryFactory(
        code="WX-DQ", name="电气", name_en="Electrical", parent=repairs, icon="lightning-charge", requires_location=True
    )
    complaint = ServiceCategoryFactory(code="TS", name="投诉建议", name_en="Complaints", is_complaint=True)
    team = TeamFactory(company=cast.hospital, name="电工班")
    worker = cast.worker.person
    worker.team = team
    worker.save()
    return SimpleNamespace(room=room, repairs=repairs, electrical=electrical, complaint=complaint, worker=worker)


def report_url(**query) -> str:
    url = reverse("servicedesk:portal_report")
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


def report(client, portal, url=None, remote_addr="127.0.0.1", **fields):
    data = {
        "category": portal.electrical.pk,
        "description": "灯不亮",
        "phone": "13912345678",
        "location": portal.room.label_code,
    }
    data.update(fields)
    url = url or report_url(location=portal.room.label_code)
    return client.post(url, data, HTTP_USER_AGENT=IPHONE, REMOTE_ADDR=remote_addr)


def worked_order(cast, portal, requester):
    """An order of `requester`, done by the worker and waiting for the rating."""
    order = services.create_work_order(
        category=portal.electrical,
        description="灯不亮",
        by=requester,
        location=portal.room,
        requester_user=requester,
        department=requester.person.department,
    )
    order = services.dispatch(order, by=cast.agent, assignee=portal.worker)
    order = services.start(order, by=cast.worker)
    return services.complete(order, by=cast.worker, note="换灯管", labor_minutes=15)


def act(client, order, action, **fields):
    data = {f"{action}-{key}": value for key, value in fields.items()}
    if action != "comment":
        data.setdefault(f"{action}-version", order.version)
    return client.post(reverse("servicedesk:portal_action", args=[order.pk, action]), data)


# --- reporting, logged in -----------------------------------------------------------------------


def test_the_report_form_shows_the_catalog_as_icons_and_the_place_from_a_code(cast, portal, client_for):
    response = client_for(cast.department_user).get(report_url(location=portal.room.label_code.lower()))
    assert response.status_code == 200
    page = response.content.decode()
    assert "bi-lightning-charge" in page and "Electrical" in page and "Repairs" in page
    assert "门诊楼 / 312室" in page
    assert response.context["form"]["department"].value() == cast.dept.pk
    # A group is no category one can file under.
    assert f'id="category-{portal.repairs.pk}"' not in page and f'id="category-{portal.electrical.pk}"' in page
    # Complaints have their own entry.
    assert f'id="category-{portal.complaint.pk}"' not in page and "A complaint or suggestion?" in page


def test_a_department_user_reports_for_their_department(cast, portal, client_for):
    client = client_for(cast.department_user)
    response = report(client, portal, url=report_url(location="A1-312"), phone="", location="A1-312")
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "servicedesk:portal_request", args=[order.pk]
    )
    # Their own department, not the room's.
    assert order.department == cast.dept and order.requester_user == cast.department_user
    assert order.channel == Channel.MOBILE and order.location == portal.room and order.status == Status.NEW
    assert order.public_token is None and order.requester_name == "nurse"


def test_a_report_from_a_desktop_comes_from_the_web(cast, portal, client_for):
    client = client_for(cast.department_user)
    client.post(report_url(), {"category": portal.electrical.pk, "description": "灯不亮", "location": portal.room.pk})
    assert WorkOrder.objects.get().channel == Channel.WEB


def test_a_report_names_what_is_missing(cast, portal, client_for):
    client = client_for(cast.department_user)
    response = client.post(report_url(), {"category": portal.electrical.pk, "description": " ", "phone": "123"})
    errors = response.context["form"].errors
    assert set(errors) == {"description", "location", "phone"}
    assert not WorkOrder.objects.exists()


def test_a_report_with_photos_keeps_them(cast, portal, client_for):
    client = client_for(cast.department_user)
    photos = [SimpleUploadedFile("a.png", PNG, "image/png"), SimpleUploadedFile("b.webp", WEBP, "image/webp")]
    report(client, portal, photos=photos)
    stored = WorkOrderPhoto.objects.order_by("pk")
    assert [(p.content_type, p.stage) for p in stored] == [("image/png", PhotoStage.REPORT), ("image/webp", "report")]


def test_a_report_refuses_a_disguised_program_and_too_many_photos(cast, portal, client_for):
    client = client_for(cast.department_user)
    response = report(client, portal, photos=[SimpleUploadedFile("x.jpg", EXE, "image/jpeg")])
    assert response.context["form"].errors["photos"] == ["x.jpg is not a photo. Send JPEG, PNG, WebP or HEIC images."]
    response = report(client, portal, photos=[SimpleUploadedFile(f"{n}.png", PNG, "image/png") for n in range(4)])
    assert response.context["form"].errors["photos"] == ["Send at most 3 photos."]
    assert not WorkOrder.objects.exists() and not WorkOrderPhoto.objects.exists()


@pytest.mark.parametrize(
    ("head", "found"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xdb" + b"\x00" * 20, "image/jpeg"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
    ],
)
def test_photos_are_recognised_by_their_first_bytes(head, found):
    assert sniff_image(head[:16])[0] == found


@pytest.mark.parametrize(
    "head", [EXE, b"GIF89a" + b"\x00" * 10, b"%PDF-1.7\n" + b"\x00" * 10, b"", b"RIFF\x00\x00\x00\x00WAVE"]
)
def test_anything_else_is_no_photo(head):
    assert sniff_image(head[:16]) is None


def test_a_complaint_offers_only_complaint_categories(cast, portal, client_for):
    client = client_for(cast.department_user)
    response = client.get(report_url(kind="complaint", about="WO1"))
    tiles = [tile["pk"] for group in response.context["groups"] for tile in group["tiles"]]
    assert tiles == [portal.complaint.pk]
    assert response.context["selected_category"] == str(portal.complaint.pk)  # the only one: chosen already
    assert response.context["form"]["description"].value().startswith("About request WO1")
    client.post(report_url(kind="complaint"), {"category": portal.complaint.pk, "description": "态度差"})
    assert WorkOrder.objects.get().category == portal.complaint


def test_nobody_without_an_account_reports_without_a_label(client, portal):
    response = client.get(report_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(report_url(location="A1-312")).status_code == 302  # an internal code is no label


def test_a_user_who_may_not_report_does_so_from_a_label_like_anyone(cast, portal, client_for):
    client = client_for(cast.worker)
    assert client.get(report_url()).status_code == 403
    response = client.get(report_url(location=portal.room.label_code))
    assert response.status_code == 200 and response.context["public"] is True
    report(client, portal, phone="13912345678")
    order = WorkOrder.objects.get()
    assert order.channel == Channel.QR and order.requester_user is None and order.public_token


# --- reporting from a QR label without an account -----------------------------------------------


def test_the_label_page_leads_to_the_report_form(client, portal):
    page = client.get(f"/q/{portal.room.label_code.lower()}").content.decode()
    assert "Report a problem here" in page
    assert f"{reverse('servicedesk:portal_report')}?location={portal.room.label_code}&amp;from=qr" in page
    assert "A1-312" not in page


def test_an_unknown_label_is_still_not_found(client, portal):
    assert client.get("/q/LXXXXXX").status_code == 404


def test_an_anonymous_report_needs_a_phone_number(client, portal):
    response = report(client, portal, phone="")
    assert response.context["form"].errors["phone"] == ["Leave a phone number so that we can call you back."]
    response = report(client, portal, phone="12345")
    assert "11-digit mobile number" in response.context["form"].errors["phone"][0]
    assert not WorkOrder.objects.exists()


def test_an_anonymous_report_from_a_label_gets_a_tracking_page(client, portal):
    response = report(client, portal, phone="0571-8888 1234", name="张先生", location="LSOMEWHERE")
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:portal_track", args=[order.public_token])
    assert len(order.public_token) >= 32
    # The label's place, whatever came back in the hidden field.
    assert order.location == portal.room and order.department == portal.room.department
    assert order.channel == Channel.QR and order.requester_user is None
    assert order.requester_phone == "057188881234" and order.requester_name == "张先生"
    assert order.events.get(kind=EventKind.CREATED).actor_name == "张先生"

    page = client.get(response["Location"]).content.decode()
    assert order.number in page and "门诊楼 / 312室" in page and "Keep this page to follow it" in page
    assert "057188881234" not in page and "张先生" not in page


def test_the_tracking_page_shows_stages_but_no_names_or_notes(cast, client, portal):
    report(client, portal)
    order = WorkOrder.objects.get()
    order = services.dispatch(order, by=cast.agent, assignee=portal.worker, note="请带梯子")
    services.comment(order, by=cast.agent, text="联系了王护士 13900000009")
    response = client.get(reverse("servicedesk:portal_track", args=[order.public_token]))
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "dispatched" in page and "请带梯子" not in page and "13900000009" not in page
    assert portal.worker.name not in page and "agent" not in page


def test_a_wrong_tracking_key_is_not_found(client, portal):
    report(client, portal)
    assert client.get(reverse("servicedesk:portal_track", args=["x" * 32])).status_code == 404


def test_anonymous_reports_are_limited_per_address(client, portal, settings):
    for n in range(5):
        assert report(client, portal, phone=f"1391234567{n}").status_code == 302
    response = report(client, portal, phone="13912345679")
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert "Too many reports" in response.content.decode() and 'href="tel:0571-88881234"' in response.content.decode()
    assert WorkOrder.objects.count() == 5


def test_anonymous_reports_are_limited_per_phone_number(client, portal):
    for n in range(5):
        assert report(client, portal, remote_addr=f"10.0.0.{n}").status_code == 302
    assert report(client, portal, phone="139-1234-5678", remote_addr="10.0.0.9").status_code == 429
    assert report(client, portal, phone="13800000000", remote_addr="10.0.0.9").status_code == 302


def test_logged_in_reports_are_not_rate_limited(cast, portal, client_for):
    client = client_for(cast.department_user)
    for _ in range(7):
        assert report(client, portal).status_code == 302


def test_a_logged_in_user_from_a_label_reports_through_the_qr_channel(cast, portal, client_for):
    client = client_for(cast.department_user)
    report(client, portal, url=report_url(location=portal.room.label_code, **{"from": "qr"}))
    order = WorkOrder.objects.get()
    assert order.channel == Channel.QR and order.requester_user == cast.department_user


# --- my requests --------------------------------------------------------------------------------


def test_my_requests_lists_mine_or_my_departments(cast, portal, client_for):
    mine = worked_order(cast, portal, cast.department_user)
    ward = services.create_work_order(
        category=portal.electrical, description="病区的", by=cast.agent, location=portal.room, department=cast.dept
    )
    services.create_work_order(
        category=portal.electrical,
        description="别的科",
        by=cast.agent,
        location=portal.room,
        department=cast.other_dept,
    )
    client = client_for(cast.department_user)
    response = client.get(reverse("servicedesk:portal_requests"))
    assert [o.pk for o in response.context["page"]] == [mine.pk]
    assert "please confirm" in response.content.decode()
    response = client.get(reverse("servicedesk:portal_requests"), {"show": "department"})
    assert {o.pk for o in response.context["page"]} == {mine.pk, ward.pk}
    response = client.get(reverse("servicedesk:portal_requests"), {"show": "department", "state": "open"})
    assert [o.pk for o in response.context["page"]] == [ward.pk]


def test_my_requests_costs_the_same_for_2_or_20(cast, portal, client_for, django_assert_max_num_queries):
    client = client_for(cast.department_user)
    for _ in range(2):
        report(client, portal)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("servicedesk:portal_requests"))
    baseline = len(few.captured_queries)  # the log empties at the next request
    for _ in range(18):
        report(client, portal)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("servicedesk:portal_requests"))
    assert len(response.context["page"]) == 20


def test_a_request_outside_my_scope_is_not_found(cast, portal, client_for):
    foreign = services.create_work_order(
        category=portal.electrical, description="x", by=cast.agent, location=portal.room, department=cast.other_dept
    )
    client = client_for(cast.department_user)
    assert client.get(reverse("servicedesk:portal_request", args=[foreign.pk])).status_code == 404
    assert act(client, foreign, "comment", text="hi").status_code == 404


# --- closing the loop ---------------------------------------------------------------------------


def test_the_requester_rates_once_only(cast, portal, client_for):
    order = worked_order(cast, portal, cast.department_user)
    client = client_for(cast.department_user)
    page = client.get(reverse("servicedesk:portal_request", args=[order.pk])).content.decode()
    assert "Confirm and rate" in page and "checked" not in page  # no rating chosen for them
    response = act(client, order, "rate", rating="4", comment="很及时")
    assert response.status_code == 302
    rated = WorkOrder.objects.get(pk=order.pk)
    assert rated.status == Status.FOLLOWED_UP and rated.rating == 4
    assert rated.follow_up_method == FollowUpMethod.REQUESTER and rated.rating_comment == "很及时"

    again = act(client, order, "rate", rating="1")  # the same form, sent a second time
    page = client.get(again["Location"]).content.decode()
    assert "changed by someone else meanwhile" in page
    assert WorkOrder.objects.get(pk=order.pk).rating == 4
    again = act(client, rated, "rate", rating="1")  # even with the fresh version
    assert "Cannot record follow-up an order that is followed up." in client.get(again["Location"]).content.decode()
    assert WorkOrder.objects.get(pk=order.pk).rating == 4


def test_a_rating_needs_a_number_from_one_to_five(cast, portal, client_for):
    order = worked_order(cast, portal, cast.department_user)
    response = act(client_for(cast.department_user), order, "rate", rating="6")
    assert "rating" in response.context["forms"]["rate"].errors
    assert WorkOrder.objects.get(pk=order.pk).status == Status.COMPLETED


def test_a_colleague_cannot_rate_my_request(cast, portal, client_for):
    order = worked_order(cast, portal, cast.department_user)
    other_nurse = make_user(
        "nurse2",
        "department_user",
        person_kwargs={"company": cast.hospital, "department": cast.dept, "employment_type": EmploymentType.PERMANENT},
    )
    client = client_for(other_nurse)
    response = client.get(reverse("servicedesk:portal_request", args=[order.pk]))
    assert response.status_code == 200 and "rate" not in response.context["forms"]
    assert act(client, order, "rate", rating="5").status_code == 403


def test_not_fixed_reopens_for_rework(cast, portal, client_for):
    order = worked_order(cast, portal, cast.department_user)
    client = client_for(cast.department_user)
    response = act(client, order, "reopen", reason="")
    assert response.context["forms"]["reopen"].errors["reason"] == ["Say what is still wrong."]
    act(client, order, "reopen", reason="还是不亮")
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.status == Status.DISPATCHED and order.rework_count == 1 and order.assignee == portal.worker
    assert order.events.filter(kind=EventKind.REOPENED).count() == 1


def test_a_new_request_can_be_withdrawn_and_then_no_more(cast, portal, client_for):
    client = client_for(cast.department_user)
    report(client, portal)
    order = WorkOrder.objects.get()
    page = client.get(reverse("servicedesk:portal_request", args=[order.pk])).content.decode()
    assert "Withdraw the request" in page
    act(client, order, "cancel", reason="已自行解决")
    assert WorkOrder.objects.get().status == Status.CANCELLED

    report(client, portal)
    taken = services.accept(WorkOrder.objects.get(status=Status.NEW), by=cast.agent)
    response = client.get(reverse("servicedesk:portal_request", args=[taken.pk]))
    assert "cancel" not in response.context["forms"]
    act(client, taken, "cancel", reason="不要了")
    assert WorkOrder.objects.get(pk=taken.pk).status == Status.ACCEPTED


def test_the_requester_comments(cast, portal, client_for):
    client = client_for(cast.department_user)
    report(client, portal)
    order = WorkOrder.objects.get()
    act(client, order, "comment", text="下午两点后有人")
    assert order.events.get(kind=EventKind.COMMENT).note == "下午两点后有人"
    assert "下午两点后有人" in client.get(reverse("servicedesk:portal_request", args=[order.pk])).content.decode()


# --- photos -------------------------------------------------------------------------------------


def test_photos_are_served_only_within_the_orders_scope(cast, portal, client, client_for):
    nurse = client_for(cast.department_user)
    report(nurse, portal, photos=[SimpleUploadedFile("a.png", PNG, "image/png")])
    photo = WorkOrderPhoto.objects.get()
    url = reverse("servicedesk:photo", args=[photo.pk])

    response = nurse.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    page = nurse.get(reverse("servicedesk:portal_request", args=[photo.order.pk])).content.decode()
    assert url in page and "/media/" not in page

    for user in (cast.outsider, cast.worker, cast.contractor_manager):
        assert client_for(user).get(url).status_code == 404
    assert client_for(cast.agent).get(url).status_code == 200
    assert client_for(cast.outsider).get(reverse("servicedesk:photo", args=[photo.pk + 100])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
