from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "houqin.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        import datetime

        from houqin.org.demo import demo_deleting, demo_seeded
        from houqin.servicedesk import demo, desk_menu, menu, portal_menu, specs  # noqa: F401  (sidebar, label button, specs)

        # `manage.py seed_demo` also loads (and with --force deletes) the service desk's demo;
        # org knows nothing of the service desk, it only sends the signals.
        demo_seeded.connect(demo.on_demo_seeded, dispatch_uid="servicedesk.demo")
        demo_deleting.connect(demo.on_demo_deleting, dispatch_uid="servicedesk.demo")

        from houqin.core.scheduler import register_periodic
        from houqin.servicedesk import tasks

        register_periodic("servicedesk.sla_sweep", datetime.timedelta(minutes=1), tasks.sla_sweep)
        register_periodic("servicedesk.auto_close", datetime.timedelta(minutes=10), tasks.auto_close_orders)
