"""The worker's phone pages: my jobs by deadline, the next step on a job (arrive with or without
the location's QR code, hold, resume, complete with photos), the label scan, on duty and the
month's figures."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from houqin.core.models import AuditEntry
from houqin.org.models import LocationKind
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import EventKind, HoldReason, PhotoStage, Priority, Status, WorkOrder, WorkOrderPhoto
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def english(client, settings):
    """Pages in English, so that messages can be compared (the default language is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def desk(cast):
    site = cast.site
    building = LocationFactory(code="A1", name="门诊楼", kind=LocationKind.BUILDING, site=site)
    floor = LocationFactory(code="A1-3F", name="3楼", kind=LocationKind.FLOOR, site=site, parent=building)
    room = LocationFactory(code="A1-3F-312", name="312室", kind=LocationKind.ROOM, site=site, parent=floor)
    other_room = LocationFactory(code="A1-3F-314", name="314室", kind=LocationKind.ROOM, site=site, parent=floor)
    group = ServiceCategoryFactory(code="WX", name="维修", icon="tools")
    electrical = ServiceCategoryFactory(code="WX-DQ", name="电气", parent=group, icon="lightning-charge")
    team = TeamFactory(company=cast.hospital, name="电工班")
    worker = cast.worker.person
    worker.team = team
    worker.save()
    colleague = PersonFactory(company=cast.hospital, team=team, name="李师傅")

    def order(*, assignee=worker, location=room, priority=Priority.NORMAL, description="病房灯不亮"):
        created = services.create_work_order(
            category=electrical,
            description=description,
            by=cast.agent,
            accept=True,
            location=location,
            priority=priority,
            requester_name="王护士",
            requester_phone="13900000001",
        )
        return services.dispatch(created, by=cast.agent, assignee=assignee)

    return SimpleNamespace(
        room=room, other_room=other_room, electrical=electrical, worker=worker, colleague=colleague, order=order
    )


def step(client, order, action, **data):
    payload = {f"{action}-version": order.version}
    payload.update({f"{action}-{key}": value for key, value in data.items()})
    return client.post(reverse("servicedesk:worker_step", args=[order.pk, action]), payload)


def refreshed(order) -> WorkOrder:
    return WorkOrder.objects.get(pk=order.pk)


# --- my jobs ---------------------------------------------------------------------------------


def test_my_jobs_shows_only_my_open_orders_the_most_pressing_first(cast, desk, client_for):
    relaxed = desk.order(priority=Priority.LOW, description="抽屉坏了")
    pressing = desk.order(priority=Priority.URGENT, description="插座冒火花")
    desk.order(assignee=desk.colleague, description="别人的活")
    done = desk.order(description="已经修好")
    done = services.start(done, by=cast.worker)
    services.complete(done, by=cast.worker, note="换灯管", labor_minutes=10)

    response = client_for(cast.worker).get(reverse("servicedesk:worker_jobs"))

    assert response.status_code == 200
    numbers = [job["order"].number for job in response.context["jobs"]]
    assert numbers == [pressing.number, relaxed.number]
    page = response.content.decode()
    assert "插座冒火花" in page and "别人的活" not in page and "已经修好" not in page
    assert "门诊楼 / 3楼 / 312室" in page
    assert "hq-level-ok" in page


def test_an_overdue_job_shows_red_and_comes_first(cast, desk, client_for):
    fresh = desk.order()
    late = desk.order()
    WorkOrder.objects.filter(pk=late.pk).update(
        created=timezone.now() - datetime.timedelta(hours=30),
        completion_due=timezone.now() - datetime.timedelta(hours=6),
        arrival_due=timezone.now() - datetime.timedelta(hours=28),
    )
    response = client_for(cast.worker).get(reverse("servicedesk:worker_jobs"))
    jobs = response.context["jobs"]
    assert [job["order"].pk for job in jobs] == [late.pk, fresh.pk]
    assert jobs[0]["deadline"]["level"] == "breach"
    assert "overdue" in jobs[0]["deadline"]["text"]


def test_my_jobs_costs_the_same_for_2_or_20_jobs(cast, desk, client_for, django_assert_max_num_queries):
    client = client_for(cast.worker)
    for _ in range(2):
        desk.order()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("servicedesk:worker_jobs"))
    baseline = len(few.captured_queries)  # the log empties at the next request
    for _ in range(18):
        desk.order()
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("servicedesk:worker_jobs"))
    assert len(response.context["jobs"]) == 20


def test_the_job_list_refreshes_as_a_fragment(cast, desk, client_for):
    desk.order()
    response = client_for(cast.worker).get(reverse("servicedesk:worker_jobs"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="jobs"') and "<html" not in page


def test_the_worker_pages_are_for_workers(cast, desk, client_for):
    for name in ("servicedesk:worker_jobs", "servicedesk:worker_scan", "servicedesk:worker_me"):
        assert client_for(cast.department_user).get(reverse(name)).status_code == 403


def test_the_worker_pages_ask_to_log_in(client, desk):
    response = client.get(reverse("servicedesk:worker_jobs"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- one job -----------------------------------------------------------------------------------


def test_a_job_outside_my_scope_is_not_found(cast, desk, client_for):
    other_team = TeamFactory(company=cast.hospital, name="水工班")
    stranger = PersonFactory(company=cast.hospital, team=other_team)
    foreign = desk.order(assignee=stranger)
    client = client_for(cast.worker)
    assert client.get(reverse("servicedesk:worker_job", args=[foreign.pk])).status_code == 404
    assert step(client, foreign, "start").status_code == 404
    assert refreshed(foreign).status == Status.DISPATCHED


def test_a_colleagues_job_shows_but_offers_no_step(cast, desk, client_for):
    theirs = desk.order(assignee=desk.colleague)
    client = client_for(cast.worker)
    response = client.get(reverse("servicedesk:worker_job", args=[theirs.pk]))
    assert response.status_code == 200 and response.context["steps"] == {}
    assert "This job is not assigned to you." in response.content.decode()
    assert step(client, theirs, "start").status_code == 403
    assert refreshed(theirs).status == Status.DISPATCHED


def test_the_job_page_offers_one_big_button_for_the_next_step(cast, desk, client_for):
    order = desk.order()
    client = client_for(cast.worker)
    response = client.get(reverse("servicedesk:worker_job", args=[order.pk]))
    assert set(response.context["steps"]) == {"start", "hold"}
    page = response.content.decode()
    assert page.count("hq-big") == 1 and "start the job" in page
    assert 'href="tel:13900000001"' in page


def test_starting_a_job_records_the_arrival(cast, desk, client_for):
    order = desk.order()
    response = step(client_for(cast.worker), order, "start")
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:worker_job", args=[order.pk])
    order = refreshed(order)
    assert order.status == Status.IN_PROGRESS and order.arrived_at is not None


def test_a_scanned_label_of_the_place_proves_the_arrival(cast, desk, client_for):
    order = desk.order()
    scanned = f"http://hospital.example/q/{desk.room.label_code.lower()}"
    step(client_for(cast.worker), order, "start", scanned=scanned)
    event = refreshed(order).events.get(kind=EventKind.STARTED)
    assert "QR code" in event.note


def test_it_refuses_a_scanned_label_of_another_place(cast, desk, client_for):
    order = desk.order()
    response = step(client_for(cast.worker), order, "start", scanned=desk.other_room.label_code)
    assert response.status_code == 200
    assert response.context["steps"]["start"].errors["scanned"] == ["The scanned code is not this order's location."]
    assert refreshed(order).status == Status.DISPATCHED


def test_it_refuses_an_unknown_label(cast, desk, client_for):
    order = desk.order()
    response = step(client_for(cast.worker), order, "start", scanned="LNOPE99")
    assert "No place has the label “LNOPE99”." in response.context["steps"]["start"].errors["scanned"]
    assert refreshed(order).status == Status.DISPATCHED


def test_a_step_on_an_order_changed_meanwhile_is_refused_with_the_fresh_state(cast, desk, client_for):
    order = desk.order()
    seen = order.version
    services.hold(order, by=cast.dispatcher, reason=HoldReason.DEPARTMENT)  # someone else, meanwhile
    client = client_for(cast.worker)
    response = client.post(reverse("servicedesk:worker_step", args=[order.pk, "start"]), {"start-version": seen})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "This order was changed by someone else meanwhile." in page
    assert "Resume" in page  # the fresh state: it is on hold now
    assert refreshed(order).status == Status.ON_HOLD


def test_hold_needs_a_reason_and_resume_returns(cast, desk, client_for):
    order = desk.order()
    client = client_for(cast.worker)
    response = step(client, order, "hold", reason="", note="")
    assert "reason" in response.context["steps"]["hold"].errors
    step(client, order, "hold", reason=HoldReason.PARTS, note="等灯管")
    order = refreshed(order)
    assert order.status == Status.ON_HOLD and order.hold_note == "等灯管"
    step(client, order, "resume")
    assert refreshed(order).status == Status.DISPATCHED


def test_an_unknown_step_is_not_found(cast, desk, client_for):
    order = desk.order()
    assert step(client_for(cast.worker), order, "close").status_code == 404


# --- completing ---------------------------------------------------------------------------------


@pytest.fixture
def started(cast, desk):
    return services.start(desk.order(), by=cast.worker)


def complete(client, order, *, photos=(), **fields):
    data = {
        "complete-version": order.version,
        "complete-note": "更换灯管",
        "complete-labor_minutes": "25",
        "complete-difficulty": "1.5",
        "complete-parts": "LED灯管 ×1",
    }
    data.update({f"complete-{key}": value for key, value in fields.items()})
    if photos:
        data["complete-photos"] = list(photos)
    return client.post(reverse("servicedesk:worker_step", args=[order.pk, "complete"]), data)


def test_completing_with_photos_records_the_result(cast, started, client_for):
    photos = [SimpleUploadedFile("before.png", PNG, "image/png"), SimpleUploadedFile("IMG_1.jpg", JPEG, "image/jpeg")]
    response = complete(client_for(cast.worker), started, photos=photos)
    assert response.status_code == 302 and response["Location"] == reverse("servicedesk:worker_jobs")
    order = refreshed(started)
    assert order.status == Status.COMPLETED and order.labor_minutes == 25 and str(order.difficulty) == "1.50"
    assert "LED灯管 ×1" in order.events.get(kind=EventKind.COMPLETED).note
    stored = list(WorkOrderPhoto.objects.filter(order=order).order_by("pk"))
    assert [(p.content_type, p.stage) for p in stored] == [
        ("image/png", PhotoStage.COMPLETION),
        ("image/jpeg", PhotoStage.COMPLETION),
    ]
    assert all(p.uploaded_by == cast.worker for p in stored)
    assert "before" not in stored[0].image.name and stored[0].image.name.endswith(".png")
    assert stored[0].image.read() == PNG


def test_it_refuses_a_program_renamed_as_a_photo(cast, started, client_for):
    response = complete(client_for(cast.worker), started, photos=[SimpleUploadedFile("photo.jpg", EXE, "image/jpeg")])
    assert response.status_code == 200
    errors = response.context["steps"]["complete"].errors["photos"]
    assert errors == ["photo.jpg is not a photo. Send JPEG, PNG, WebP or HEIC images."]
    assert refreshed(started).status == Status.IN_PROGRESS and not WorkOrderPhoto.objects.exists()


def test_it_refuses_more_than_three_photos(cast, started, client_for):
    photos = [SimpleUploadedFile(f"p{n}.png", PNG, "image/png") for n in range(4)]
    response = complete(client_for(cast.worker), started, photos=photos)
    assert response.context["steps"]["complete"].errors["photos"] == ["Send at most 3 photos."]
    assert refreshed(started).status == Status.IN_PROGRESS and not WorkOrderPhoto.objects.exists()


def test_it_refuses_a_photo_over_a_third_of_the_upload_limit(cast, started, client_for, settings):
    settings.HOUQIN_MAX_UPLOAD_BYTES = 300
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 200, "image/png")
    response = complete(client_for(cast.worker), started, photos=[big])
    assert "big.png is too large" in response.context["steps"]["complete"].errors["photos"][0]


def test_completing_needs_a_note_and_the_labour_time(cast, started, client_for):
    response = complete(client_for(cast.worker), started, note=" ", labor_minutes="")
    errors = response.context["steps"]["complete"].errors
    assert set(errors) == {"note", "labor_minutes"}
    assert refreshed(started).status == Status.IN_PROGRESS


def test_a_refused_completion_keeps_no_photo(cast, started, client_for):
    services.hold(started, by=cast.dispatcher, reason=HoldReason.PARTS)
    response = complete(client_for(cast.worker), started, photos=[SimpleUploadedFile("a.png", PNG, "image/png")])
    assert response.status_code == 302
    assert not WorkOrderPhoto.objects.exists()


def test_the_complete_form_suggests_the_time_since_arrival(cast, started, client_for):
    WorkOrder.objects.filter(pk=started.pk).update(arrived_at=timezone.now() - datetime.timedelta(minutes=42))
    response = client_for(cast.worker).get(reverse("servicedesk:worker_job", args=[started.pk]))
    assert response.context["steps"]["complete"].initial["labor_minutes"] in (41, 42)


# --- scan ---------------------------------------------------------------------------------------


def test_scanning_a_label_finds_my_jobs_there_and_starts_one(cast, desk, client_for):
    here = desk.order()
    desk.order(location=desk.other_room, description="隔壁")
    client = client_for(cast.worker)
    response = client.get(reverse("servicedesk:worker_scan"), {"code": f"https://x/q/{desk.room.label_code}"})
    assert [job["order"].pk for job in response.context["jobs"]] == [here.pk]
    assert "隔壁" not in response.content.decode()
    step(client, here, "start", scanned=response.context["label_code"])
    assert "QR code" in refreshed(here).events.get(kind=EventKind.STARTED).note


def test_scanning_an_unknown_label_says_so(cast, desk, client_for):
    response = client_for(cast.worker).get(reverse("servicedesk:worker_scan"), {"code": "LZZZZZZ"})
    assert response.context["location"] is None and "No place has the label" in response.content.decode()


# --- me -----------------------------------------------------------------------------------------


def test_going_on_and_off_duty_is_audited(cast, desk, client_for):
    client = client_for(cast.worker)
    desk.worker.on_duty = False
    desk.worker.save()
    response = client.post(reverse("servicedesk:worker_duty"), {"on_duty": "1"})
    assert response.status_code == 302
    desk.worker.refresh_from_db()
    assert desk.worker.on_duty is True
    entry = AuditEntry.objects.get(object_id=str(desk.worker.pk))
    assert entry.changes == {"on_duty": [False, True]} and entry.actor == cast.worker
    fragment = client.post(reverse("servicedesk:worker_duty"), {"on_duty": "0"}, HTTP_HX_REQUEST="true")
    assert "Go on duty" in fragment.content.decode() and "<html" not in fragment.content.decode()
    desk.worker.refresh_from_db()
    assert desk.worker.on_duty is False


def test_nobody_else_switches_my_duty_without_the_right(cast, desk):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_on_duty(desk.worker, True, by=cast.department_user)
    services.set_on_duty(desk.worker, True, by=cast.dispatcher)  # dispatchers change people
    desk.worker.refresh_from_db()
    assert desk.worker.on_duty


def test_me_shows_the_months_figures(cast, desk, client_for):
    for rating in (5, 3):
        order = services.start(desk.order(), by=cast.worker)
        order = services.complete(order, by=cast.worker, note="好了", labor_minutes=30)
        services.follow_up(order, by=cast.agent, rating=rating, method="phone")
    late = services.start(desk.order(), by=cast.worker)
    late = services.complete(late, by=cast.worker, note="好了", labor_minutes=60)
    WorkOrder.objects.filter(pk=late.pk).update(breached=True)
    desk.order()  # still open

    response = client_for(cast.worker).get(reverse("servicedesk:worker_me"))

    figures = response.context["figures"]
    assert figures["completed"] == 3 and figures["on_time"] == 2 and figures["rating"] == 4
    assert figures["labour_hours"] == 2.0 and figures["open"] == 1


def test_me_shows_the_on_time_rate_not_a_count_called_a_rate(cast, desk, client_for):
    for breached in (False, False, True):
        order = services.start(desk.order(), by=cast.worker)
        order = services.complete(order, by=cast.worker, note="好了", labor_minutes=30)
        WorkOrder.objects.filter(pk=order.pk).update(breached=breached)

    page = client_for(cast.worker).get(reverse("servicedesk:worker_me")).content.decode()

    assert "67%" in page and "on-time rate (2 of 3)" in page


def test_me_shows_no_on_time_rate_before_the_first_job_of_the_month(cast, desk, client_for):
    response = client_for(cast.worker).get(reverse("servicedesk:worker_me"))

    assert response.context["figures"]["on_time_rate"] is None and "on-time rate (0 of 0)" in response.content.decode()


def test_the_worker_pages_lead_back_to_the_rest_of_the_site(cast, desk, client_for):
    # A team leader opens "My jobs" from the sidebar; the phone pages had no way back.
    client = client_for(cast.worker)
    home = f'href="{reverse("core:home")}"'

    for name in ("servicedesk:worker_jobs", "servicedesk:worker_scan", "servicedesk:worker_me"):
        assert home in client.get(reverse(name)).content.decode()
    job = client.get(reverse("servicedesk:worker_job", args=[desk.order().pk])).content.decode()
    assert f'href="{reverse("servicedesk:worker_jobs")}" aria-label="Back to my jobs"' in job
