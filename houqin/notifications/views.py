"""The inbox (every user, their own notifications only), the channel pages of the system admin
and the delivery log (system admin and auditor)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from houqin.core.generic import (
    Column,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    bootstrap_form,
    render_page_or_fragment,
)
from houqin.core.specs import ModelSpec
from houqin.notifications import messages as texts
from houqin.notifications.filters import ChannelConfigFilterSet, OutboxFilterSet
from houqin.notifications.forms import ChannelConfigForm, TestMessageForm, masked_url
from houqin.notifications.models import (
    EVENT_CHOICES,
    TEST,
    ChannelConfig,
    ChannelKind,
    Notification,
    OutboxMessage,
    OutboxStatus,
    order_path,
)
from houqin.notifications.rules import deliver_after_commit

INBOX_PER_PAGE = 30
OUTBOX_PER_PAGE = 50

# Not registered in core.specs: channels have pages but no API, import or export.
CHANNEL_SPEC = ModelSpec(
    ChannelConfig, ChannelConfigForm, ChannelConfigFilterSet, "channelconfig", api_path="", sortable=("name", "kind")
)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# ---------------------------------------------------------------------------------------------
# Inbox
# ---------------------------------------------------------------------------------------------


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@login_required
@require_safe
def inbox(request):
    """The user's notifications, newest first; ?show=unread for the unread ones only."""
    only_unread = request.GET.get("show") == "unread"
    notes = Notification.objects.filter(user=request.user).select_related("order")
    if only_unread:
        notes = notes.filter(read_at__isnull=True)
    page = Paginator(notes, INBOX_PER_PAGE).get_page(request.GET.get("page"))
    unread = unread_count(request.user)
    request._hq_unread_notifications = unread  # the bell in the top bar needs no second count
    context = {
        "title": _("Notifications"),
        "page_obj": page,
        "only_unread": only_unread,
        "unread": unread,
        "query": "show=unread" if only_unread else "",
    }
    return render(request, "notifications/inbox.html", context)


@require_safe
def bell(request):
    """The top bar's bell alone, for htmx to refresh the count now and then. A logged-out page
    gets 286, which tells htmx to stop polling (rather than a login page inside the top bar)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    return render(request, "notifications/_bell.html")


def _own(request, pk) -> Notification:
    # Someone else's notification answers 404, like one that does not exist.
    return get_object_or_404(Notification, pk=pk, user=request.user)


@login_required
@require_POST
def open_notification(request, pk):
    """Mark as read and go to what it is about (the work order), or back to the inbox."""
    note = _own(request, pk)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    return HttpResponseRedirect(note.target_url or reverse("notifications:inbox"))


@login_required
@require_POST
def mark_read(request, pk):
    note = _own(request, pk)
    Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    return HttpResponseRedirect(_safe_next(request, reverse("notifications:inbox")))


@login_required
@require_POST
def mark_all_read(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return HttpResponseRedirect(_safe_next(request, reverse("notifications:inbox")))


# ---------------------------------------------------------------------------------------------
# Channels (system admin)
# ---------------------------------------------------------------------------------------------

EVENT_LABELS = dict(EVENT_CHOICES)


def _events_text(channel, user) -> str:
    labels = [str(EVENT_LABELS.get(key, key)) for key in channel.events or []]
    return ", ".join(labels) if labels else "—"


def _address(channel, user) -> str:
    return channel.url if channel.kind == ChannelKind.EMAIL else masked_url(channel.url)


def _secret_state(channel, user) -> str:
    if not channel.secret:
        return _("not set")
    if channel.secret_set_at:
        return _("set on %(time)s") % {"time": timezone.localtime(channel.secret_set_at).strftime("%Y-%m-%d %H:%M")}
    return _("set")


class ChannelListView(ObjectListView):
    spec = CHANNEL_SPEC
    default_sort = "name"
    columns = (
        Column("name", sort="name", link=True),
        Column("kind", sort="kind"),
        Column("url", render=_address),
        Column("enabled", kind="bool"),
        Column("events", render=_events_text, wrap=True),
    )


class ChannelDetailView(ObjectDetailView):
    spec = CHANNEL_SPEC
    fields = ("kind", "name", "enabled")
    extra_fields = (
        (gettext_lazy("Address"), _address),
        (gettext_lazy("Secret"), _secret_state),
        (gettext_lazy("Events"), _events_text),
    )

    def get_extra_context(self, obj):
        user = self.request.user
        recent = None
        if user.has_perm("notifications.view_outboxmessage"):
            recent = list(OutboxMessage.objects.filter(channel=obj).select_related("order")[:10])
        fields = list(self.field_rows(obj))
        if obj.kind == ChannelKind.SMS:
            fields.append({"label": _("SMS request format"), "value": obj.get_body_format_display()})
        return {
            "field_rows": fields,
            "recent_messages": recent,
            "can_test": user.has_perm("notifications.change_channelconfig"),
            "test_form": bootstrap_form(TestMessageForm(channel=obj, initial={"phone": _own_phone(user)}), small=True),
            "outbox_url": reverse("notifications:outbox_list"),
        }


def _own_phone(user) -> str:
    try:
        return user.person.phone or ""
    except Exception:
        return ""


class ChannelEditView(ObjectEditView):
    spec = CHANNEL_SPEC


class ChannelDeleteView(ObjectDeleteView):
    spec = CHANNEL_SPEC


@login_required
@permission_required("notifications.change_channelconfig", raise_exception=True)
@require_POST
def channel_test(request, pk):
    """Queue a test message through the channel (even a disabled one); the delivery log shows how it went."""
    channel = get_object_or_404(ChannelConfig.objects.for_user(request.user), pk=pk)
    form = TestMessageForm(request.POST, channel=channel)
    if not form.is_valid():
        for error in form.errors.get("phone", []):
            messages.error(request, error)
        return HttpResponseRedirect(channel.get_absolute_url())
    text = texts.test_texts(channel.name, request.user)
    message = OutboxMessage(
        channel=channel, channel_name=channel.name, kind=channel.kind, event=TEST, recipient_user=request.user
    )
    if channel.kind == ChannelKind.WEBHOOK:
        message.recipient = masked_url(channel.url)[:300]
        message.payload = {
            "event": TEST,
            "channel": channel.name,
            "message": text["body"],
            "sent_at": timezone.localtime().isoformat(),
        }
    elif channel.kind == ChannelKind.WECOM:
        message.recipient = channel.name
        message.payload = {"text": f"**{text['title']}**\n{text['body']}"}
    elif channel.kind == ChannelKind.EMAIL:
        message.recipient = ", ".join(channel.addresses)[:300]
        message.payload = {"subject": text["title"], "body": text["body"]}
    else:
        message.recipient = form.cleaned_data["phone"]
        message.payload = {"text": texts.sms_text(text["title"], text["body"])}
    with transaction.atomic():
        message.save()
        deliver_after_commit()
    messages.success(request, _("The test message is queued; its delivery shows below within a few seconds."))
    return HttpResponseRedirect(reverse("notifications:outbox_detail", args=[message.pk]))


# ---------------------------------------------------------------------------------------------
# Delivery log (system admin, auditor)
# ---------------------------------------------------------------------------------------------


@login_required
@permission_required("notifications.view_outboxmessage", raise_exception=True)
@require_safe
def outbox_list(request):
    """Every outbound message, newest first, with its status and last error."""
    queryset = OutboxMessage.objects.select_related("order")
    filterset = OutboxFilterSet(request.GET, queryset=queryset)
    qs = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(qs, OUTBOX_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": _("Delivery log"),
        "filter_form": bootstrap_form(filterset.form, small=True),
        "page_obj": page,
        "rows": [{"message": m, "order_url": order_path(m.order_id)} for m in page.object_list],
        "query": query.urlencode(),
        "counts": _status_counts(),
    }
    return render_page_or_fragment(
        request, "notifications/outbox_list.html", context, fragment="notifications/outbox_list.html#results"
    )


def _status_counts() -> dict[str, int]:
    from django.db.models import Count

    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status.value, 0) for status in OutboxStatus}


@login_required
@permission_required("notifications.view_outboxmessage", raise_exception=True)
@require_safe
def outbox_detail(request, pk):
    """One message: what was sent, to whom, and every attempt (refreshes itself while pending)."""
    message = get_object_or_404(OutboxMessage.objects.select_related("channel", "order", "recipient_user"), pk=pk)
    deliveries = None
    if request.user.has_perm("notifications.view_deliverylog"):
        deliveries = list(message.deliveries.order_by("attempt", "pk"))
    channel_url = None
    if message.channel_id and request.user.has_perm("notifications.view_channelconfig"):
        channel_url = message.channel.get_absolute_url()
    context = {
        "title": _("Outbox message %(id)s") % {"id": message.pk},
        "message": message,
        "payload": json.dumps(message.payload, ensure_ascii=False, indent=2, sort_keys=True),
        "deliveries": deliveries,
        "order_url": order_path(message.order_id),
        "channel_url": channel_url,
        "polling": message.status == OutboxStatus.PENDING,
    }
    return render_page_or_fragment(
        request,
        "notifications/outbox_detail.html",
        context,
        fragment="notifications/outbox_detail.html#delivery",
        target="hq-delivery",
    )
