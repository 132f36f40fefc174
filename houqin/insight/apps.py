from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "houqin.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self):
        from houqin.insight import measures

        measures.install_sqlite_functions()

        from houqin.insight import dashboard_menu  # noqa: F401  (sidebar: dashboard, big screen, wall displays)
        from houqin.insight import menu as kpi_menu  # noqa: F401  (sidebar: KPIs)
