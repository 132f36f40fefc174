import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "houqin.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from houqin.core import tasks
        from houqin.core.scheduler import register_periodic

        # Stale import jobs and their stored files are cleared even when nobody opens the page.
        register_periodic("core.expire_import_jobs", datetime.timedelta(hours=1), tasks.expire_import_jobs_periodically)
        register_periodic(
            "core.purge_idempotency", datetime.timedelta(hours=1), tasks.purge_idempotency_records_periodically
        )
