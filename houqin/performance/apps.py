from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "houqin.performance"
    label = "performance"
    verbose_name = _("Performance")

    def ready(self):
        from houqin.org.demo import demo_seeded
        from houqin.performance import demo, menu  # noqa: F401  (the sidebar entries)

        demo_seeded.connect(demo.on_demo_seeded, dispatch_uid="performance.demo")
