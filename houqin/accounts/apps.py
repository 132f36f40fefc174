from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "houqin.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from houqin.accounts import menu, signals  # noqa: F401  (sidebar entries; login and logout events)
        from houqin.accounts.roles import sync_roles

        def sync_after_migrate(sender, using="default", **kwargs):
            # Runs once per app, after that app's permissions exist.
            sync_roles(using=using, app_label=sender.label)

        post_migrate.connect(sync_after_migrate, dispatch_uid="houqin-sync-roles", weak=False)
