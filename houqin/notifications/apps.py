import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "houqin.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from houqin.core.scheduler import register_periodic
        from houqin.notifications import menu, rules, tasks  # noqa: F401  (menu: sidebar entries)
        from houqin.servicedesk.services import work_order_event

        work_order_event.connect(rules.on_work_order_event, dispatch_uid="houqin-notifications")
        # Retries: failed messages wait 1, 2, 4… minutes; this run picks them up when due.
        register_periodic("notifications.deliver_outbox", datetime.timedelta(minutes=1), tasks.deliver_outbox)
