from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "houqin.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from houqin.core.scheduler import MONTHLY, register_periodic
        from houqin.org.demo import demo_seeded
        from houqin.reports import demo, menu, tasks  # noqa: F401  (menu: the sidebar entry)

        # On the first of each month (or when the scheduler starts later in it): last month's report.
        register_periodic("reports.monthly_report", MONTHLY, tasks.generate_last_month_report)
        # Connected after the service desk's receiver (this app comes later in INSTALLED_APPS), so
        # the demo's orders exist when last month's report is made.
        demo_seeded.connect(demo.on_demo_seeded, dispatch_uid="reports.demo")
