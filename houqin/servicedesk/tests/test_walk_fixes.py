"""Defects found walking the real product: a merged duplicate tells its requester where it went,
the requester's timeline keeps internal notes internal, the anonymous form's promise about the
phone number is true, a worker who scans a label with the camera can say "I have arrived", "dq"
does not find English words run together, a direct-dial number finds its extension, and "My
requests" needs the right to view requests."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse

from houqin.conftest import make_user
from houqin.core.pinyin import search_key
from houqin.org.models import LocationKind
from houqin.org.services import find_callers, normalize_phone
from houqin.org.tests.factories import DirectoryEntryFactory, LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import EventKind, HoldReason, ServiceCategory, Status, WorkOrder
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

pytestmark = pytest.mark.django_db

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0"


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def place(cast):
    site = cast.site
    site.phone = "0571-88881234"
    site.save()
    building = LocationFactory(code="A1", name="住院楼", kind=LocationKind.BUILDING, site=site)
    room = LocationFactory(code="A1-512", name="512病房", kind=LocationKind.ROOM, site=site, parent=building)
    bed = LocationFactory(code="A1-512-5", name="5床", kind=LocationKind.BED, site=site, parent=room)
    other_room = LocationFactory(code="A1-513", name="513病房", kind=LocationKind.ROOM, site=site, parent=building)
    repairs = ServiceCategoryFactory(code="WX", name="维修", name_en="Repairs")
    electrical = ServiceCategoryFactory(code="WX-DQ", name="电气", name_en="Electrical", parent=repairs)
    worker = cast.worker.person
    worker.team = TeamFactory(company=cast.hospital, name="电工班")
    worker.save()
    return SimpleNamespace(
        building=building, room=room, bed=bed, other_room=other_room, electrical=electrical, worker=worker
    )


def new_order(cast, place, *, location=None, requester=None, **kwargs):
    requester = requester or cast.department_user
    return services.create_work_order(
        category=place.electrical,
        description=kwargs.pop("description", "灯不亮"),
        by=requester,
        location=location or place.room,
        requester_user=requester,
        department=cast.dept,
        **kwargs,
    )


def anonymous_report(client, place, phone="13912345678", description="走廊灯不亮"):
    data = {"category": place.electrical.pk, "description": description, "phone": phone, "name": "李女士"}
    url = reverse("servicedesk:portal_report") + f"?location={place.room.label_code}"
    response = client.post(url, data, HTTP_USER_AGENT=IPHONE)
    assert response.status_code == 302
    return WorkOrder.objects.order_by("-pk").first()


# --- 1. a merged duplicate ----------------------------------------------------------------------


@pytest.fixture
def original(cast, place):
    """Somebody else's request for the same lamp, already with the worker; its details are theirs."""
    order = services.create_work_order(
        category=place.electrical,
        description="病房灯不亮，私人电话请勿外传",
        by=cast.agent,
        accept=True,
        location=place.other_room,
        department=cast.other_dept,
        requester_name="王先生",
        requester_phone="13700000001",
    )
    return services.dispatch(order, by=cast.agent, assignee=place.worker, note="带梯子")


def test_the_duplicates_page_says_where_it_was_merged_and_how_the_original_stands(cast, place, original, client_for):
    duplicate = new_order(cast, place)
    services.cancel(duplicate, by=cast.agent, reason="同一故障重复报修", duplicate_of=original)
    client = client_for(cast.department_user)

    response = client.get(reverse("servicedesk:portal_request", args=[duplicate.pk]))
    page = response.content.decode()
    assert f"Merged into {original.number}" in page
    merged = response.context["merged_into"]
    assert merged["order"] == original and [e.kind for e in merged["events"]] == ["created", "accepted", "dispatched"]
    assert "dispatched" in page
    # The original is another department's: no link to it, and nothing of its requester.
    assert merged["url"] is None
    for private in ("王先生", "13700000001", "私人电话", "带梯子"):
        assert private not in page

    listing = client.get(reverse("servicedesk:portal_requests")).content.decode()
    assert f"Merged into {original.number}" in listing


def test_the_original_is_linked_for_a_requester_who_may_see_it(cast, place, client_for):
    original = new_order(cast, place)
    duplicate = new_order(cast, place)
    services.cancel(duplicate, by=cast.agent, reason="重复", duplicate_of=original)
    response = client_for(cast.department_user).get(reverse("servicedesk:portal_request", args=[duplicate.pk]))
    url = reverse("servicedesk:portal_request", args=[original.pk])
    assert response.context["merged_into"]["url"] == url and f'href="{url}"' in response.content.decode()


def test_the_tracking_page_of_a_duplicate_shows_the_originals_status_only(cast, place, original, client):
    duplicate = anonymous_report(client, place)
    services.cancel(duplicate, by=cast.agent, reason="重复", duplicate_of=original)
    services.comment(original, by=cast.agent, text="已联系王先生")

    response = client.get(reverse("servicedesk:portal_track", args=[duplicate.public_token]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Merged into {original.number}" in page and "dispatched" in page
    for private in ("王先生", "13700000001", "私人电话", "带梯子", "已联系", original.public_token or "no-token"):
        assert private not in page
    # The original's own page stays out of reach: no link to it from here.
    assert reverse("servicedesk:portal_request", args=[original.pk]) not in page


def test_a_request_that_was_not_merged_shows_no_merge(cast, place, client, client_for):
    order = new_order(cast, place)
    services.cancel(order, by=cast.department_user, reason="不需要了")
    response = client_for(cast.department_user).get(reverse("servicedesk:portal_request", args=[order.pk]))
    assert response.context["merged_into"] is None and "Merged into" not in response.content.decode()


# --- 3. the anonymous form's promise ------------------------------------------------------------


def test_the_anonymous_form_does_not_promise_that_only_the_desk_sees_the_number(client, place):
    page = client.get(reverse("servicedesk:portal_report") + f"?location={place.room.label_code}").content.decode()
    assert "Only the service desk sees your number" not in page
    assert "Your number is used only to contact you about this request." in page


# --- 4. internal notes stay off the requester's timeline ----------------------------------------


def worked(cast, place, order):
    order = services.dispatch(order, by=cast.agent, assignee=place.worker, note="先去513拿梯子")
    order = services.hold(order, by=cast.worker, reason=HoldReason.PARTS, note="供应商老张 13611112222")
    order = services.resume(order, by=cast.worker)
    order = services.start(order, by=cast.worker)
    return services.complete(order, by=cast.worker, note="更换灯管", labor_minutes=20)


def test_the_requester_does_not_read_the_assessment_remarks_or_other_internal_notes(cast, place, client, client_for):
    order = worked(cast, place, new_order(cast, place))
    order = services.follow_up(order, by=cast.department_user, rating=4, method="requester", comment="还行")
    services.comment(order, by=cast.agent, text="下次提前打电话")
    order = services.close(order, by=cast.inspector, score=80, remarks="工具未归位，扣分")

    response = client_for(cast.department_user).get(reverse("servicedesk:portal_request", args=[order.pk]))
    page = response.content.decode()
    for internal in ("工具未归位", "先去513拿梯子", "供应商老张", "13611112222"):
        assert internal not in page, internal
    # What is meant for the requester: the result, their rating, comments, the hold's reason.
    for shown in ("更换灯管", "还行", "下次提前打电话", "waiting for parts"):
        assert shown in page, shown
    assert "80" not in [e.requester_note for e in response.context["events"]]

    # The staff keep everything.
    staff = client_for(cast.inspector).get(reverse("servicedesk:order_detail", args=[order.pk])).content.decode()
    assert "工具未归位" in staff


def test_transfer_reasons_and_deadline_escalations_are_not_the_requesters_business(cast, place, client_for):
    order = new_order(cast, place)
    order = services.accept(order, by=cast.agent)
    services.transfer(
        order, by=cast.agent, team=TeamFactory(company=cast.hospital, name="综合班"), reason="电工班人手不够"
    )
    services._event(order, EventKind.SLA_WARNING, None, note="响应截止时间：…")

    response = client_for(cast.department_user).get(reverse("servicedesk:portal_request", args=[order.pk]))
    kinds = [event.kind for event in response.context["events"]]
    assert "transferred" in kinds and "sla_warning" not in kinds
    assert "电工班人手不够" not in response.content.decode()


def test_a_complaints_answer_reaches_the_requester_but_not_the_remarks(cast, place, client_for):
    complaint = ServiceCategoryFactory(code="TS", name="投诉建议", is_complaint=True, requires_location=False)
    order = services.create_work_order(
        category=complaint, description="维修太慢", by=cast.department_user, requester_user=cast.department_user
    )
    order = services.dispatch(order, by=cast.agent, assignee=place.worker)
    order = services.start(order, by=cast.worker)
    order = services.complete(order, by=cast.worker, note="已核实", labor_minutes=5)
    services.close(order, by=cast.director, answer="已督促电工班加快响应", remarks="电工班本月第二次")

    page = client_for(cast.department_user).get(reverse("servicedesk:portal_request", args=[order.pk]))
    assert "已督促电工班加快响应" in page.content.decode() and "电工班本月第二次" not in page.content.decode()


def test_the_tracking_page_shows_no_assessment(cast, place, client):
    order = anonymous_report(client, place)
    order = worked(cast, place, order)
    services.close(order, by=cast.inspector, score=61, remarks="态度差")
    page = client.get(reverse("servicedesk:portal_track", args=[order.public_token])).content.decode()
    assert "态度差" not in page and "61/100" not in page and "closed" in page


# --- 5. "I have arrived" on the label page ------------------------------------------------------


def label_page(client, location):
    return client.get(f"/q/{location.label_code.lower()}")


def test_a_worker_who_scans_the_label_with_the_camera_can_say_they_arrived(cast, place, client_for):
    order = services.dispatch(new_order(cast, place), by=cast.agent, assignee=place.worker)
    client = client_for(cast.worker)

    page = label_page(client, place.room).content.decode()
    url = reverse("servicedesk:worker_step", args=[order.pk, "start"])
    assert f'action="{url}"' in page and f"I have arrived: {order.number}" in page
    assert f'name="start-scanned" value="{place.room.label_code}"' in page
    assert "Report a problem here" in page  # still there, below the worker's jobs
    assert page.index("I have arrived") < page.index("Report a problem here")

    response = client.post(url, {"start-version": order.version, "start-scanned": place.room.label_code})
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:worker_job", args=[order.pk])
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS and order.arrived_at is not None
    assert order.events.get(kind=EventKind.STARTED).note == "Arrival confirmed by scanning the location's QR code."


def test_the_label_of_a_place_around_the_job_offers_it_too_and_the_timeline_names_it(cast, place, client_for):
    order = services.dispatch(new_order(cast, place, location=place.bed), by=cast.agent, assignee=place.worker)
    client = client_for(cast.worker)
    page = label_page(client, place.room).content.decode()
    assert f"I have arrived: {order.number}" in page and "5床" in page

    client.post(
        reverse("servicedesk:worker_step", args=[order.pk, "start"]),
        {"start-version": order.version, "start-scanned": place.room.label_code},
    )
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    assert place.room.full_name in order.events.get(kind=EventKind.STARTED).note


def test_the_label_offers_only_my_jobs_waiting_for_arrival_there(cast, place, client_for):
    elsewhere = services.dispatch(
        new_order(cast, place, location=place.other_room), by=cast.agent, assignee=place.worker
    )
    someone_else = PersonFactory(company=cast.hospital, name="赵师傅", team=place.worker.team)
    theirs = services.dispatch(new_order(cast, place), by=cast.agent, assignee=someone_else)
    started = services.start(
        services.dispatch(new_order(cast, place), by=cast.agent, assignee=place.worker), by=cast.worker
    )
    page = label_page(client_for(cast.worker), place.room).content.decode()
    assert "I have arrived" not in page
    for order in (elsewhere, theirs, started):
        assert order.number not in page


def test_a_label_of_another_place_still_proves_nothing(cast, place, client_for):
    order = services.dispatch(new_order(cast, place), by=cast.agent, assignee=place.worker)
    response = client_for(cast.worker).post(
        reverse("servicedesk:worker_step", args=[order.pk, "start"]),
        {"start-version": order.version, "start-scanned": place.other_room.label_code},
    )
    assert response.context["steps"]["start"].errors["scanned"] == ["The scanned code is not this order's location."]
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED


def test_the_label_page_stays_the_same_for_everyone_else(cast, place, client, client_for):
    order = services.dispatch(new_order(cast, place), by=cast.agent, assignee=place.worker)
    for who in (client, client_for(cast.department_user)):
        page = label_page(who, place.room).content.decode()
        assert "Report a problem here" in page and "I have arrived" not in page and order.number not in page
        assert "<form" not in page


# --- 6. pinyin initials and English words -------------------------------------------------------


def test_initials_do_not_find_english_words_run_together(db):
    electrical = ServiceCategoryFactory(code="WX-DQ", name="电气", name_en="Electrical")
    meals = ServiceCategoryFactory(code="SS-DC", name="订餐咨询", name_en="Meal orders and questions")
    assert list(ServiceCategory.objects.search("dq")) == [electrical]
    # The English name is still found, word by word or whole.
    for typed in ("meal", "questions", "orders and", "Meal orders and questions", "dczx"):
        assert list(ServiceCategory.objects.search(typed)) == [meals], typed
    assert "andquestions" not in search_key("Meal orders and questions")


def test_codes_and_chinese_names_still_run_together():
    assert "a13f" in search_key("A1-3F").split()
    assert "hqbzb" in search_key("后勤 保障部").split()
    assert "xray" in search_key("X-ray").split()


def test_the_migration_rebuilds_the_categories_english_words(db):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("houqin.servicedesk.migrations.0008_rebuild_search_text_english_words")
    meals = ServiceCategoryFactory(code="SS-DC", name="订餐咨询", name_en="Meal orders and questions")
    ServiceCategory.objects.filter(pk=meals.pk).update(search_text="订餐咨询 dczx mealordersandquestions")
    migration.rebuild(apps, None)
    meals.refresh_from_db()
    assert meals.search_text == meals.build_search_text() and "dq" not in meals.search_text


# --- 7. a direct-dial number finds its extension ------------------------------------------------


@pytest.mark.parametrize("typed", ["0571 8610 6101", "0571-86106101", "+86 571 8610 6101", "86106101"])
def test_a_number_with_area_code_finds_the_extension_it_dials(cast, typed):
    station = DirectoryEntryFactory(number="6101", label="心内科护士站", department=cast.dept)
    DirectoryEntryFactory(number="6102", label="心内科医生办")
    [match] = find_callers(normalize_phone(typed), cast.agent)
    assert match["entry"] == station and match["who"] == "心内科护士站"


def test_an_exact_number_comes_before_an_extension_guess(cast):
    DirectoryEntryFactory(number="6101", label="心内科护士站")
    switchboard = DirectoryEntryFactory(number="0571-86106101", label="总机")
    [match] = find_callers("057186106101", cast.agent)
    assert match["entry"] == switchboard
    person = PersonFactory(company=cast.hospital, name="张三", phone="057186116101")
    [match] = find_callers("057186116101", cast.agent)
    assert match["person"] == person and match["source"] == "person"


def test_a_mobile_or_a_short_number_is_nobodys_extension(cast):
    DirectoryEntryFactory(number="6101", label="心内科护士站")
    assert find_callers("13900006101", cast.agent) == []
    assert find_callers("106101", cast.agent) == []
    assert find_callers("56101", cast.agent) == []


def test_the_extension_guess_respects_who_may_see_the_directory(cast):
    DirectoryEntryFactory(number="6101", label="心内科护士站")
    assert find_callers("057186106101", cast.outsider) == []


# --- 8. "My requests" needs the right to view requests ------------------------------------------


def test_my_requests_is_offered_only_to_who_may_view_requests(cast, place, client_for):
    reporter = make_user("reporter", person_kwargs={"company": cast.hospital, "department": cast.dept})
    reporter.user_permissions.add(
        Permission.objects.get(codename="add_workorder", content_type__app_label="servicedesk")
    )
    requests_link = f'href="{reverse("servicedesk:portal_requests")}"'
    report_link = f'href="{reverse("servicedesk:portal_report")}"'

    client = client_for(reporter)
    home = client.get(reverse("core:home")).content.decode()
    form = client.get(reverse("servicedesk:portal_report")).content.decode()
    assert report_link in home and requests_link not in home
    assert requests_link not in form

    client = client_for(cast.department_user)
    assert requests_link in client.get(reverse("core:home")).content.decode()
    assert requests_link in client.get(reverse("servicedesk:portal_report")).content.decode()
