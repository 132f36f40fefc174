"""The outbox: retries with growing waits, giving up, and never sending a message twice."""

import datetime

import pytest
from django.utils import timezone

from houqin.notifications import channels, outbox
from houqin.notifications.models import ChannelConfig, ChannelKind, DeliveryLog, OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 25, 8, 0, tzinfo=datetime.UTC)
SECRET = "0123456789abcdef-secret"


@pytest.fixture
def hook(receiver):
    return ChannelConfig.objects.create(
        kind=ChannelKind.WEBHOOK, name="HIS", url=f"{receiver.url}/hook", secret=SECRET, events=["dispatched"]
    )


def queue(config, **kwargs) -> OutboxMessage:
    fields = {
        "channel": config,
        "kind": config.kind,
        "channel_name": config.name,
        "event": "dispatched",
        "payload": {"event": "x"},
        "next_attempt_at": T0,
        "created": T0,
    }
    return OutboxMessage.objects.create(**{**fields, **kwargs})


def test_a_due_message_is_sent_and_logged(hook, receiver):
    message = queue(hook)
    assert outbox.deliver_due(T0)["sent"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 1 and message.sent_at is not None
    assert receiver.requests[0].headers["x-houqin-delivery"] == str(message.pk)
    [log] = DeliveryLog.objects.filter(message=message)
    assert log.ok and log.status_code == 200 and log.attempt == 1 and "errcode" in log.response


def test_it_waits_1_2_4_8_minutes_between_attempts_and_gives_up_after_8(hook, receiver):
    receiver.answer(503, b"maintenance")
    message = queue(hook)
    now = T0
    waits = []
    for attempt in range(1, 9):
        assert outbox.deliver_due(now - datetime.timedelta(seconds=1)) == {s.value: 0 for s in OutboxStatus}
        outbox.deliver_due(now)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < 8:
            assert message.status == OutboxStatus.FAILED
            waits.append(int((message.next_attempt_at - now).total_seconds() // 60))
            now = message.next_attempt_at
    assert waits == [1, 2, 4, 8, 16, 32, 64]
    assert message.status == OutboxStatus.DEAD
    assert "HTTP 503" in message.last_error
    assert DeliveryLog.objects.filter(message=message, ok=False).count() == 8
    assert len(receiver.requests) == 8
    # Dead is final: nothing more is sent however long we wait.
    outbox.deliver_due(now + datetime.timedelta(days=1))
    assert len(receiver.requests) == 8


def test_a_message_that_fails_once_is_sent_on_the_retry(hook, receiver):
    receiver.answers = [(500, b"oops"), (200, b"{}")]
    message = queue(hook)
    outbox.deliver_due(T0)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and message.last_error.startswith("HTTP 500")
    outbox.deliver_due(T0 + datetime.timedelta(minutes=1))
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 2 and message.last_error == ""


def test_a_permanent_error_gives_up_at_once(hook, receiver):
    receiver.answer(404, b"no such hook")
    message = queue(hook)
    outbox.deliver_due(T0)
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD and message.attempts == 1
    log = DeliveryLog.objects.get(message=message)
    assert log.status_code == 404 and log.response == "no such hook"


def test_a_message_claimed_by_another_delivery_is_not_sent_twice(hook, receiver, monkeypatch):
    message = queue(hook)
    assert outbox.claim(message.pk, T0) is not None  # another worker took it and is sending
    assert outbox.deliver_one(message.pk, T0) is None
    assert outbox.deliver_due(T0)["sent"] == 0
    assert receiver.requests == []
    # That worker died while sending: the message is due again when its lease ends.
    outbox.deliver_due(T0 + outbox.LEASE)
    assert len(receiver.requests) == 1


def test_a_disabled_or_deleted_channel_sends_nothing(hook, receiver):
    first = queue(hook)
    hook.enabled = False
    hook.save()
    outbox.deliver_due(T0)
    first.refresh_from_db()
    assert first.status == OutboxStatus.DEAD and "disabled" in first.last_error
    hook.delete()
    second = queue(ChannelConfig(kind=ChannelKind.WEBHOOK, name="gone"), channel=None)
    outbox.deliver_due(T0)
    second.refresh_from_db()
    assert second.status == OutboxStatus.DEAD and "deleted" in second.last_error
    assert receiver.requests == []


def test_a_test_message_goes_through_a_disabled_channel(hook, receiver):
    hook.enabled = False
    hook.save()
    message = queue(hook, event="test")
    outbox.deliver_due(T0)
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


def test_an_unexpected_error_in_a_seam_is_retried_not_lost(hook, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("payload")

    monkeypatch.setattr(channels, "send_webhook", broken)
    message = queue(hook)
    outbox.deliver_due(T0)
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and "KeyError" in message.last_error


def test_each_kind_goes_through_its_own_seam(receiver, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail

    robot = ChannelConfig.objects.create(kind=ChannelKind.WECOM, name="群", url=f"{receiver.url}/send", secret="k1")
    sms = ChannelConfig.objects.create(
        kind=ChannelKind.SMS, name="短信", url=f"{receiver.url}/sms", secret="api", body_format="form"
    )
    office = ChannelConfig.objects.create(kind=ChannelKind.EMAIL, name="邮件", url="a@x.cn, b@x.cn")
    queue(robot, payload={"text": "**WO1**"})
    queue(sms, recipient="13900000002", payload={"text": "WO1"})
    queue(office, recipient="a@x.cn, b@x.cn", payload={"subject": "WO1", "body": "body"})
    assert outbox.deliver_due(T0)["sent"] == 3
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/send?key=k1", "/sms"]
    assert mail.outbox[0].to == ["a@x.cn", "b@x.cn"]


def test_messages_wait_their_turn(hook, receiver):
    later = queue(hook, next_attempt_at=T0 + datetime.timedelta(minutes=5))
    outbox.deliver_due(T0)
    later.refresh_from_db()
    assert later.status == OutboxStatus.PENDING and later.attempts == 0
    assert timezone.is_aware(later.next_attempt_at)
