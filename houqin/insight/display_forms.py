"""The form that adds a wall display: its name and the site it shows."""

from django import forms
from django.utils.translation import gettext_lazy as _

from houqin.insight.models import DisplayScreen
from houqin.org.models import Site


class DisplayScreenForm(forms.ModelForm):
    class Meta:
        model = DisplayScreen
        fields = ["name", "site"]
        help_texts = {"name": _("Where the screen hangs, e.g. “Service centre, left wall”.")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        sites = Site.objects.filter(is_active=True)
        if user is not None:
            sites = sites.for_user(user)
        self.fields["site"].queryset = sites
        self.fields["site"].empty_label = _("The whole hospital")
