from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "houqin.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self):
        import datetime

        from houqin.core.scheduler import register_periodic
        from houqin.insight import measures, rollup, tasks

        measures.install_sqlite_functions()
        rollup.connect()
        register_periodic("insight.fold_rollup", datetime.timedelta(minutes=1), tasks.fold_rollup)

        from houqin.insight import (
            dashboard_menu,  # noqa: F401  (sidebar: dashboard, big screen, wall displays)
            kpi_views,  # noqa: F401  (the drill-down's export source, for the task worker)
        )
        from houqin.insight import menu as kpi_menu  # noqa: F401  (sidebar: KPIs)
