from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from houqin.core.labels import find_label_target


@login_required
def home(request):
    return render(request, "core/home.html")


def label_redirect(request, label_code):
    target = find_label_target(label_code)
    if target is None:
        raise Http404
    return render(request, "core/label_target.html", {"target": target})
