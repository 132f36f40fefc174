"""Who is told what: the rules, driven through the service desk's own services and SLA sweep."""

import datetime
import hashlib
import hmac

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from houqin.conftest import make_user
from houqin.notifications import messages, rules
from houqin.notifications.models import ChannelConfig, ChannelKind, Notification, OutboxMessage, OutboxStatus
from houqin.org.models import Person
from houqin.org.tests.factories import LocationFactory, TeamFactory
from houqin.servicedesk import services, sla
from houqin.servicedesk.models import EventKind, Priority, WorkOrderEvent
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 25, 0, 0, tzinfo=datetime.UTC)
SECRET = "0123456789abcdef-secret"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run a service as in production: its events are sent, and the outbox delivered, after commit."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture
def team(cast):
    worker = Person.objects.get(user=cast.worker)
    leader = Person.objects.get(user=cast.dispatcher)
    team = TeamFactory(company=cast.hospital, name="电工班")
    Person.objects.filter(pk__in=[worker.pk, leader.pk]).update(team=team)
    team.leader = leader
    team.save()
    return team


@pytest.fixture
def category(team):
    return ServiceCategoryFactory(name="电气", default_team=team)


@pytest.fixture
def order(cast, category, run_on_commit):
    location = LocationFactory(site=cast.site, code="A-3F-312", name="312病房")
    return run_on_commit(
        services.create_work_order,
        category=category,
        description="病房灯不亮",
        by=cast.agent,
        accept=True,
        location=location,
        requester_user=cast.department_user,
        requester_phone="13800000009",
        at=T0,
    )


def said(msgid: str, **params) -> str:
    """A message text as a user with the default language (zh-hans) reads it."""
    with translation.override("zh-hans"):
        return gettext(msgid) % params


def worker(cast):
    return Person.objects.get(user=cast.worker)


def sms_gateway(receiver, *events):
    return ChannelConfig.objects.create(
        kind=ChannelKind.SMS, name="短信网关", url=f"{receiver.url}/sms", secret="api-key", events=list(events)
    )


def inbox(user):
    return list(Notification.objects.filter(user=user))


def test_the_worker_finds_a_dispatched_order_in_their_inbox(cast, order, run_on_commit):
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    [note] = inbox(cast.worker)
    assert note.title == said("Work order %(number)s assigned to you", number=order.number)
    assert "电气" in note.body and "312病房" in note.body and "病房灯不亮" in note.body
    assert note.order == order and note.event == EventKind.DISPATCHED and note.read_at is None
    assert not OutboxMessage.objects.exists()  # no SMS gateway configured


def test_the_worker_gets_an_sms_when_a_gateway_is_configured(cast, order, receiver, run_on_commit):
    sms_gateway(receiver, "dispatched")
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    message = OutboxMessage.objects.get()
    assert message.kind == ChannelKind.SMS and message.recipient == worker(cast).phone
    assert message.status == OutboxStatus.SENT  # delivered by the task enqueued after commit
    [got] = receiver.requests
    assert got.json()["phone"] == worker(cast).phone
    assert got.json()["text"].startswith(said("Work order %(number)s assigned to you", number=order.number))


def test_an_sms_gateway_not_subscribed_to_the_event_stays_silent(cast, order, receiver, run_on_commit):
    sms_gateway(receiver, "completed")
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    assert not OutboxMessage.objects.exists()
    assert len(inbox(cast.worker)) == 1


def test_an_order_given_to_a_team_goes_to_its_leader(cast, order, team, run_on_commit):
    run_on_commit(services.dispatch, order, by=cast.agent, team=team)
    [note] = inbox(cast.dispatcher)
    assert note.title == said("Work order %(number)s for your team", number=order.number)
    assert inbox(cast.worker) == []


def test_nobody_is_told_of_what_they_did_themselves(cast, order, run_on_commit):
    leader = Person.objects.get(user=cast.dispatcher)
    run_on_commit(services.dispatch, order, by=cast.dispatcher, assignee=leader)
    assert inbox(cast.dispatcher) == []


def test_the_message_is_in_the_recipients_language(cast, order, run_on_commit):
    services.change(order, by=cast.agent, priority=Priority.URGENT)
    cast.worker.language = "en"
    cast.worker.save()
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    assert "Priority: urgent" in inbox(cast.worker)[0].body
    other = make_user("worker2", "worker", person_kwargs={"company": cast.hospital, "employment_type": "permanent"})
    other.language = "zh-hans"
    other.save()
    order.refresh_from_db()
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=Person.objects.get(user=other))
    assert "紧急" in inbox(other)[0].body


def test_the_requester_is_told_of_completion_in_the_inbox_and_by_sms(cast, order, receiver, run_on_commit):
    sms_gateway(receiver, "completed")
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    run_on_commit(services.start, order, by=cast.worker)
    run_on_commit(services.complete, order, by=cast.worker, note="更换灯管", labor_minutes=20)
    [note] = inbox(cast.department_user)
    assert note.title == said("Your request %(number)s is completed", number=order.number)
    assert "更换灯管" in note.body
    sms = OutboxMessage.objects.get(event="completed")
    assert sms.recipient == "13800000009" and sms.recipient_user == cast.department_user
    assert receiver.requests[-1].json()["phone"] == "13800000009"


def test_a_requester_without_account_gets_the_sms_only(cast, category, receiver, run_on_commit):
    sms_gateway(receiver, "completed")
    order = services.create_work_order(
        category=category, description="漏水", by=cast.agent, accept=True, requester_phone="13700000001"
    )
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    run_on_commit(services.start, order, by=cast.worker)
    run_on_commit(services.complete, order, by=cast.worker, note="修好", labor_minutes=5)
    assert OutboxMessage.objects.get(event="completed").recipient == "13700000001"
    assert Notification.objects.filter(event="completed").count() == 0


def test_the_requester_of_a_merged_duplicate_is_told_where_it_went(cast, order, category, receiver, run_on_commit):
    sms_gateway(receiver, "merged")
    original = run_on_commit(
        services.create_work_order, category=category, description="灯坏了", by=cast.agent, accept=True, at=T0
    )
    run_on_commit(services.cancel, order, by=cast.agent, reason="同一故障重复报修", duplicate_of=original)
    [note] = inbox(cast.department_user)
    title = said("Your request %(number)s was merged into %(original)s", number=order.number, original=original.number)
    assert note.title == title and original.number in note.body
    assert note.event == EventKind.MERGED and note.order == order
    # A requester's notification opens their request in the portal, not the desk's order page.
    assert note.link == reverse("servicedesk:portal_request", args=[order.pk])
    sms = OutboxMessage.objects.get(event=EventKind.MERGED)
    assert sms.recipient == "13800000009" and sms.recipient_user == cast.department_user
    assert receiver.requests[-1].json()["text"].startswith(title)


def test_a_merged_requester_without_account_gets_the_sms_only(cast, order, category, receiver, run_on_commit):
    sms_gateway(receiver, "merged")
    duplicate = run_on_commit(
        services.create_work_order,
        category=category,
        description="灯坏了",
        by=cast.agent,
        requester_phone="13700000001",
    )
    run_on_commit(services.cancel, duplicate, by=cast.agent, reason="重复", duplicate_of=order)
    assert OutboxMessage.objects.get(event=EventKind.MERGED).recipient == "13700000001"
    assert not Notification.objects.filter(event=EventKind.MERGED).exists()


def test_a_plain_cancellation_or_a_gateway_not_subscribed_texts_nobody(cast, order, category, receiver, run_on_commit):
    sms_gateway(receiver, "completed")
    original = run_on_commit(services.create_work_order, category=category, description="灯坏了", by=cast.agent)
    run_on_commit(services.cancel, order, by=cast.agent, reason="重复", duplicate_of=original)
    assert len(inbox(cast.department_user)) == 1 and not OutboxMessage.objects.exists()
    withdrawn = run_on_commit(
        services.create_work_order,
        category=category,
        description="不用了",
        by=cast.department_user,
        requester_user=cast.department_user,
    )
    run_on_commit(services.cancel, withdrawn, by=cast.agent, reason="科室撤回")
    assert len(inbox(cast.department_user)) == 1


def test_the_requester_opens_a_completed_request_in_the_portal(cast, order, run_on_commit):
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    run_on_commit(services.start, order, by=cast.worker)
    run_on_commit(services.complete, order, by=cast.worker, note="更换灯管", labor_minutes=20)
    [note] = inbox(cast.department_user)
    assert note.link == reverse("servicedesk:portal_request", args=[order.pk])
    [assigned] = inbox(cast.worker)  # staff keep opening the desk's order page
    assert assigned.link == reverse("servicedesk:order_detail", args=[order.pk])


def test_the_team_leader_is_warned_and_the_director_told_of_the_breach_once_each(cast, order, run_on_commit):
    # Normal priority: response within 30 minutes; 80 % is at 24 minutes.
    run_on_commit(sla.sweep, now=T0 + datetime.timedelta(minutes=20))
    assert Notification.objects.count() == 0
    for minute in (25, 26):
        run_on_commit(sla.sweep, now=T0 + datetime.timedelta(minutes=minute))
    [warning] = inbox(cast.dispatcher)
    assert warning.title == said(
        "Work order %(number)s is close to its %(target)s deadline", number=order.number, target=said("response")
    )
    assert inbox(cast.director) == []
    for minute in (31, 40):
        run_on_commit(sla.sweep, now=T0 + datetime.timedelta(minutes=minute))
    [breach] = inbox(cast.director)
    assert breach.title == said(
        "Work order %(number)s missed its %(target)s deadline", number=order.number, target=said("response")
    )
    assert len(inbox(cast.dispatcher)) == 1
    assert order.events.filter(kind=EventKind.SLA_WARNING).count() == 1
    assert order.events.filter(kind=EventKind.SLA_BREACH).count() == 1


def test_every_director_hears_of_a_breach(cast, order, run_on_commit):
    second = make_user("director2", "director")
    run_on_commit(sla.sweep, now=T0 + datetime.timedelta(days=2))
    run_on_commit(sla.sweep, now=T0 + datetime.timedelta(days=3))
    assert len(inbox(cast.director)) == 1 and len(inbox(second)) == 1
    assert inbox(cast.director)[0].event == EventKind.SLA_BREACH


def test_directors_hear_of_every_new_complaint(cast, team, run_on_commit):
    complaints = ServiceCategoryFactory(name="投诉建议", is_complaint=True)
    order = run_on_commit(
        services.create_work_order, category=complaints, description="保洁态度差", by=cast.agent, accept=True
    )
    [note] = inbox(cast.director)
    assert note.title == said("New complaint %(number)s", number=order.number) and "保洁态度差" in note.body
    assert note.event == "complaint"


def expected_payload(order, event_kind):
    order.refresh_from_db()
    event = order.events.filter(kind=event_kind).latest("pk")

    def iso(moment):
        return timezone.localtime(moment).isoformat() if moment else None

    return {
        "event": event_kind,
        "event_id": event.pk,
        "occurred_at": iso(event.time),
        "order": {
            "id": order.pk,
            "number": order.number,
            "status": order.status,
            "priority": "normal",
            "channel": "web",
            "category": {"code": order.category.code, "name": "电气", "is_complaint": False},
            "location": {"code": "A-3F-312", "name": order.location.full_name},
            "team": order.team.code,
            "times": {
                "created": iso(order.created),
                "accepted": iso(order.accepted_at),
                "dispatched": iso(order.dispatched_at),
                "arrived": None,
                "completed": None,
                "closed": None,
                "response_due": iso(order.response_due),
                "arrival_due": iso(order.arrival_due),
                "completion_due": iso(order.completion_due),
            },
            "breached": False,
            "link": messages.absolute_link(order),
        },
    }


def test_a_webhook_receives_the_events_it_subscribed_to_signed(cast, order, receiver, run_on_commit):
    ChannelConfig.objects.create(
        kind=ChannelKind.WEBHOOK, name="HIS", url=f"{receiver.url}/houqin", secret=SECRET, events=["dispatched"]
    )
    run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    expected = expected_payload(order, "dispatched")  # the order as it was when dispatched
    run_on_commit(services.start, order, by=cast.worker)  # not subscribed
    [got] = receiver.requests
    assert got.json() == expected
    assert got.headers["x-houqin-event"] == "dispatched"
    signature = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-houqin-signature"] == signature
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_a_wecom_group_hears_of_breaches(cast, order, receiver, run_on_commit):
    ChannelConfig.objects.create(
        kind=ChannelKind.WECOM, name="后勤群", url=f"{receiver.url}/send", secret="robot-key", events=["sla_breach"]
    )
    run_on_commit(sla.sweep, now=T0 + datetime.timedelta(hours=1))
    [got] = receiver.requests
    assert got.path == "/send?key=robot-key"
    body = got.json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**") and order.number in content and "312病房" in content


def test_an_email_channel_gets_new_complaints(cast, settings, run_on_commit):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ChannelConfig.objects.create(
        kind=ChannelKind.EMAIL, name="院办", url="office@hospital.example", events=["complaint"]
    )
    complaints = ServiceCategoryFactory(name="投诉建议", is_complaint=True)
    order = run_on_commit(
        services.create_work_order, category=complaints, description="食堂饭菜凉", by=cast.agent, accept=True
    )
    [sent] = mail.outbox
    assert sent.to == ["office@hospital.example"] and order.number in sent.subject


def test_a_failing_rule_does_not_undo_or_break_the_service(cast, order, run_on_commit, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(rules, "notify", broken)
    order = run_on_commit(services.dispatch, order, by=cast.agent, assignee=worker(cast))
    assert WorkOrderEvent.objects.filter(order=order, kind=EventKind.DISPATCHED).exists()
