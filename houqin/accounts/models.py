import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. Who the user is in the hospital (company, department, team) comes from the
    person record linked to it (org.Person.user)."""

    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("user account")
        verbose_name_plural = _("user accounts")
        ordering = ["username"]

    def __str__(self):
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("accounts:user_detail", args=[self.pk])

    @property
    def role_codes(self) -> set[str]:
        if not hasattr(self, "_role_codes"):
            self._role_codes = set(self.groups.values_list("name", flat=True))
        return self._role_codes


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its hash is stored; the key is shown once."""

    PREFIX = "hq_"

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(_("key starts with"), max_length=12, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.name} ({self.key_hint}…)"

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class RoleDefaultGrant(models.Model):
    """Remembers which default permissions were already given to a role, so that an upgrade
    adds the permissions of new features without undoing the security admin's own edits."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    permission = models.CharField(max_length=200)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["group", "permission"], name="role_default_grant_unique")]

    def __str__(self):
        return f"{self.group.name}: {self.permission}"
