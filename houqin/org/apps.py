from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "houqin.org"
    label = "org"
    verbose_name = _("Organization and places")

    def ready(self):
        from houqin.core.labels import register_label_target
        from houqin.org.models import Location

        register_label_target(Location)
        from houqin.org import menu, specs  # noqa: F401  (registers pages and model specs)
