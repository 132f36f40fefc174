import urllib.parse

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from houqin.core.forms import ScopedFormMixin
from houqin.notifications.models import DEFAULT_EVENTS, EVENT_CHOICES, ChannelConfig, ChannelKind
from houqin.org.models import phone_validator

WEBHOOK_SECRET_MIN = 16


def masked_url(url: str) -> str:
    """An address without its query string and user info, which may hold keys or passwords."""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


class ChannelConfigForm(ScopedFormMixin, forms.ModelForm):
    secret = forms.CharField(
        label=_("secret"),
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Webhooks: the key of the HMAC-SHA256 signature (at least 16 characters), shared with the receiver. "
            "SMS: the gateway's API key. WeCom: taken from the robot's URL. Leave empty to keep the current one."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Webhooks, WeCom and e-mail receive these events; the SMS gateway carries the rules' messages of these events."
        ),
    )

    class Meta:
        model = ChannelConfig
        fields = ["kind", "name", "url", "secret", "body_format", "enabled", "events"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_secret = self.instance.secret if self.instance.pk else ""
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("events", list(DEFAULT_EVENTS))

    def clean(self):
        data = super().clean()
        kind, url = data.get("kind"), (data.get("url") or "").strip()
        secret = data.get("secret") or self.stored_secret
        if kind and url:
            if kind == ChannelKind.EMAIL:
                addresses = [a.strip() for a in url.replace(";", ",").split(",") if a.strip()]
                for address in addresses:
                    try:
                        validate_email(address)
                    except ValidationError:
                        self.add_error("url", _("“%(address)s” is not an e-mail address.") % {"address": address[:80]})
                        break
                url = ", ".join(addresses)
            else:
                try:
                    URLValidator(schemes=["http", "https"])(url)
                except ValidationError:
                    self.add_error("url", _("Enter a full web address starting with http:// or https://."))
                if kind == ChannelKind.WECOM:
                    url, key = self._split_wecom_key(url)
                    secret = key or secret
                    if not secret:
                        self.add_error("url", _("Paste the robot's whole webhook URL, including its key=…"))
            data["url"] = url
        if kind == ChannelKind.WEBHOOK and len(secret) < WEBHOOK_SECRET_MIN:
            self.add_error(
                "secret",
                _("A webhook needs a secret of at least %(count)s characters to sign its messages.")
                % {"count": WEBHOOK_SECRET_MIN},
            )
        data["secret"] = secret
        return data

    @staticmethod
    def _split_wecom_key(url: str) -> tuple[str, str]:
        """The robot's key is a credential: it is kept as the secret, not in the visible address."""
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        key = next((value for name, value in query if name == "key"), "")
        rest = urllib.parse.urlencode([(name, value) for name, value in query if name != "key"])
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")), key

    def save(self, commit=True):
        instance = super().save(commit=False)
        instance.secret = self.cleaned_data.get("secret", "")
        if instance.secret != self.stored_secret:
            instance.secret_set_at = timezone.now()
        if commit:
            instance.save()
        return instance


class TestMessageForm(forms.Form):
    phone = forms.CharField(
        label=_("send the test SMS to"), required=False, max_length=32, validators=[phone_validator]
    )

    def __init__(self, *args, channel: ChannelConfig, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "").strip()
        if self.channel.kind == ChannelKind.SMS and not phone:
            raise ValidationError(_("Enter the mobile number that should receive the test SMS."))
        return phone
