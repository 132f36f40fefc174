"""The inbox and its bell, the channel pages of the system admin, and the delivery log."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from houqin.core.models import AuditEntry
from houqin.notifications.models import (
    ChannelConfig,
    ChannelKind,
    DeliveryLog,
    Notification,
    OutboxMessage,
    OutboxStatus,
)

pytestmark = pytest.mark.django_db

SECRET = "0123456789abcdef-secret"


def notify(user, title="Work order WO1 assigned to you", **kwargs):
    return Notification.objects.create(user=user, title=title, body="电气 · 312病房", **kwargs)


# ---------------------------------------------------------------------------------------------
# Inbox and bell
# ---------------------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_with_one_query(cast, client_for):
    notify(cast.worker)
    notify(cast.worker)
    notify(cast.worker, read_at=timezone.now())
    notify(cast.agent)
    client = client_for(cast.worker)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="hq-bell"' in html
    assert '<span class="badge rounded-pill text-bg-danger">2</span>' in html
    assert sum("notifications_notification" in q["sql"] for q in queries.captured_queries) == 1


def test_the_bell_is_quiet_without_unread_notifications(cast, client_for):
    html = client_for(cast.worker).get(reverse("core:home")).content.decode()
    assert 'id="hq-bell"' in html and "text-bg-danger" not in html


def test_the_bell_refreshes_alone_and_stops_polling_when_logged_out(cast, client, client_for):
    assert client.get(reverse("notifications:bell")).status_code == 286
    notify(cast.worker)
    response = client_for(cast.worker).get(reverse("notifications:bell"))
    assert response.status_code == 200 and b"text-bg-danger" in response.content


def test_the_inbox_lists_only_my_notifications_newest_first(cast, client_for, django_assert_max_num_queries):
    now = timezone.now()
    for minute in range(40):
        notify(cast.worker, title=f"note {minute}", created=now - datetime.timedelta(minutes=minute))
    notify(cast.agent, title="for the agent")
    client = client_for(cast.worker)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    titles = [n.title for n in response.context["page_obj"]]
    assert titles[:2] == ["note 0", "note 1"] and len(titles) == 30
    assert "for the agent" not in response.content.decode()
    assert response.context["unread"] == 40


def test_the_unread_filter(cast, client_for):
    notify(cast.worker, title="old", read_at=timezone.now())
    notify(cast.worker, title="new")
    response = client_for(cast.worker).get(reverse("notifications:inbox") + "?show=unread")
    assert [n.title for n in response.context["page_obj"]] == ["new"]


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(cast, client_for):
    note = notify(cast.worker, link="/org/sites/")
    response = client_for(cast.worker).post(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/org/sites/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_it_refuses_to_open_someone_elses_notification(cast, client_for):
    note = notify(cast.agent)
    client = client_for(cast.worker)
    assert client.post(reverse("notifications:open", args=[note.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_it_refuses_to_mark_read_by_get(cast, client_for):
    note = notify(cast.worker)
    assert client_for(cast.worker).get(reverse("notifications:read", args=[note.pk])).status_code == 405


def test_mark_read_and_mark_all_read(cast, client_for):
    first, second = notify(cast.worker), notify(cast.worker)
    other = notify(cast.agent)
    client = client_for(cast.worker)
    response = client.post(reverse("notifications:read", args=[first.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:inbox")
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    client.post(reverse("notifications:read_all"))
    second.refresh_from_db()
    other.refresh_from_db()
    assert second.read_at is not None and other.read_at is None


def test_the_inbox_needs_a_login(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302 and "login" in response["Location"]


# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


def channel_post(**overrides):
    data = {
        "kind": "webhook",
        "name": "HIS 集成",
        "url": "https://his.hospital.example/hooks/houqin",
        "secret": SECRET,
        "body_format": "json",
        "enabled": "on",
        "events": ["dispatched", "sla_breach"],
    }
    data.update(overrides)
    return data


def test_the_system_admin_adds_a_webhook_and_the_secret_stays_out_of_the_trail(cast, client_for):
    client = client_for(cast.system_admin)
    response = client.post(reverse("notifications:channelconfig_add"), channel_post())
    assert response.status_code == 302, response.context["form"].errors
    channel = ChannelConfig.objects.get()
    assert channel.secret == SECRET and channel.secret_set_at is not None
    assert channel.events == ["dispatched", "sla_breach"]
    entry = AuditEntry.objects.get(object_id=str(channel.pk), content_type__model="channelconfig")
    assert "secret" not in entry.changes and SECRET not in str(entry.changes)
    page = client.get(channel.get_absolute_url()).content.decode()
    assert SECRET not in page


def test_an_empty_secret_on_edit_keeps_the_old_one(cast, client_for):
    channel = ChannelConfig.objects.create(kind="webhook", name="HIS", url="https://his.example/h", secret=SECRET)
    client = client_for(cast.system_admin)
    response = client.post(
        reverse("notifications:channelconfig_edit", args=[channel.pk]), channel_post(name="HIS", secret="")
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.secret == SECRET and channel.secret_set_at is None


def test_it_refuses_a_webhook_without_a_long_secret(cast, client_for):
    response = client_for(cast.system_admin).post(
        reverse("notifications:channelconfig_add"), channel_post(secret="short")
    )
    assert response.status_code == 200
    assert "secret" in response.context["form"].errors
    assert not ChannelConfig.objects.exists()


def test_it_refuses_bad_addresses(cast, client_for):
    client = client_for(cast.system_admin)
    response = client.post(reverse("notifications:channelconfig_add"), channel_post(url="ftp://x"))
    assert "url" in response.context["form"].errors
    response = client.post(
        reverse("notifications:channelconfig_add"), channel_post(kind="email", url="office@x.cn, not-an-address")
    )
    assert "url" in response.context["form"].errors


def test_a_wecom_robot_key_is_kept_as_the_secret(cast, client_for):
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
    response = client_for(cast.system_admin).post(
        reverse("notifications:channelconfig_add"), channel_post(kind="wecom", url=url, secret="")
    )
    assert response.status_code == 302
    channel = ChannelConfig.objects.get()
    assert channel.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    assert channel.secret == "693a91f6-7xxx"
    assert channel.endpoint == url


def test_channel_pages_are_the_system_admins(cast, client_for):
    channel = ChannelConfig.objects.create(kind="webhook", name="HIS", url="https://his.example/h", secret=SECRET)
    for user in (cast.agent, cast.auditor, cast.director, cast.worker):
        client = client_for(user)
        assert client.get(reverse("notifications:channelconfig_list")).status_code == 403
        assert client.post(reverse("notifications:channelconfig_test", args=[channel.pk])).status_code == 403
    response = client_for(cast.system_admin).get(reverse("notifications:channelconfig_list"))
    assert response.status_code == 200 and "HIS" in response.content.decode()


def test_the_test_button_sends_through_the_channel(cast, client_for, receiver, django_capture_on_commit_callbacks):
    channel = ChannelConfig.objects.create(
        kind="webhook", name="HIS", url=f"{receiver.url}/hook", secret=SECRET, enabled=False
    )
    client = client_for(cast.system_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:channelconfig_test", args=[channel.pk]))
    message = OutboxMessage.objects.get()
    assert response["Location"] == reverse("notifications:outbox_detail", args=[message.pk])
    assert message.status == OutboxStatus.SENT and message.event == "test"
    assert receiver.requests[0].json()["event"] == "test"
    page = client.get(response["Location"])
    assert [attempt.ok for attempt in page.context["deliveries"]] == [True]


def test_a_test_sms_needs_a_number(cast, client_for, receiver):
    channel = ChannelConfig.objects.create(kind="sms", name="短信", url=f"{receiver.url}/sms", secret="k")
    client = client_for(cast.system_admin)
    response = client.post(reverse("notifications:channelconfig_test", args=[channel.pk]), {"phone": ""})
    assert response.status_code == 302 and not OutboxMessage.objects.exists()
    client.post(reverse("notifications:channelconfig_test", args=[channel.pk]), {"phone": "13900000001"})
    assert OutboxMessage.objects.get().recipient == "13900000001"


# ---------------------------------------------------------------------------------------------
# Delivery log
# ---------------------------------------------------------------------------------------------


def make_messages(count):
    channel = ChannelConfig.objects.create(kind="webhook", name="HIS", url="https://his.example/h", secret=SECRET)
    for n in range(count):
        message = OutboxMessage.objects.create(
            channel=channel,
            channel_name="HIS",
            kind=ChannelKind.WEBHOOK,
            event="dispatched",
            recipient="his.example",
            status=OutboxStatus.FAILED if n % 2 else OutboxStatus.SENT,
            attempts=1,
            last_error="HTTP 503" if n % 2 else "",
        )
        DeliveryLog.objects.create(message=message, attempt=1, ok=not n % 2, status_code=200 if n % 2 == 0 else 503)
    return channel


def test_the_auditor_and_the_system_admin_read_the_delivery_log(cast, client_for, django_assert_max_num_queries):
    make_messages(30)
    for user in (cast.auditor, cast.system_admin):
        client = client_for(user)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("notifications:outbox_list"))
        assert response.status_code == 200
        assert len(response.context["rows"]) == 30
    response = client_for(cast.auditor).get(reverse("notifications:outbox_list") + "?status=failed")
    assert {row["message"].status for row in response.context["rows"]} == {"failed"}
    message = OutboxMessage.objects.filter(status="failed").first()
    response = client_for(cast.auditor).get(reverse("notifications:outbox_detail", args=[message.pk]))
    assert response.status_code == 200 and len(response.context["deliveries"]) == 1
    assert response.context["channel_url"] is None  # the auditor does not see channel settings


def test_others_may_not_read_the_delivery_log(cast, client_for):
    make_messages(1)
    for user in (cast.agent, cast.director, cast.worker, cast.security_admin):
        assert client_for(user).get(reverse("notifications:outbox_list")).status_code == 403


def test_deleting_a_channel_keeps_its_delivery_log(cast, client_for):
    channel = make_messages(2)
    client = client_for(cast.system_admin)
    response = client.post(reverse("notifications:channelconfig_delete", args=[channel.pk]))
    assert response.status_code == 302 and not ChannelConfig.objects.exists()
    assert list(OutboxMessage.objects.values_list("channel_name", flat=True)) == ["HIS", "HIS"]
    assert client.get(reverse("notifications:outbox_list")).status_code == 200
