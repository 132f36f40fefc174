"""Pages of the location tree: the browsable tree, moving a location, the type-ahead pickers
(locations and people) and the printable sheets of QR labels."""

import re
from functools import lru_cache

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.core.exceptions import ConflictError
from houqin.core.forms import RefChoiceField, ScopedFormMixin
from houqin.core.labels import label_url
from houqin.core.refs import resolve_ref
from houqin.core.widgets import PickerFieldMixin, PickerWidget
from houqin.org.forms import LocationMoveForm
from houqin.org.models import ALLOWED_CHILDREN, Location, LocationKind, Person, Site
from houqin.org.services import move_location
from houqin.org.specs import LOCATION, PERSON

_DIGITS = re.compile(r"(\d+)")
PICK_LIMIT = 20
SEARCH_LIMIT = 50
CHILDREN_LIMIT = 500
LABELS_LIMIT = 500
LABELS_PER_SHEET = 24  # 3 x 8 on A4, see .hq-label-sheet in app.css
MAX_QUERY_LENGTH = 100

# Just enough of a location to draw a tree node or a label.
NODE_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "parent_id",
    "site_id",
    "tree_path",
    "full_name",
    "label_code",
    "is_active",
    "depth",
)


def _require(user, action: str) -> None:
    if not user.has_perm(LOCATION.perm(action)):
        raise PermissionDenied


def _url_or_none(name: str, *args) -> str | None:
    """The pages of other modules (the generic location detail, the list) may not be installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _focus_url(location: Location) -> str:
    return f"{reverse('org:location_tree')}?{urlencode({'focus': location.pk})}#loc-{location.pk}"


def detail_url(location: Location) -> str:
    """The location's detail page, or the tree opened at it while no detail page exists."""
    return _url_or_none("org:location_detail", location.pk) or _focus_url(location)


def _with_child_counts(queryset):
    # One GROUP BY query for a whole level: the tree never asks a node for its children's count.
    return queryset.only(*NODE_FIELDS).annotate(child_count=Count("children")).order_by("code")


def _natural_key(node) -> list:
    # "A2-2F" before "A2-10F": digits compare as numbers (the parts alternate text, number, text…).
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(node.code)]


def _in_natural_order(nodes):
    return sorted(nodes, key=_natural_key)


def _decorate(nodes):
    # Set for every node, so that templates can tell "not loaded" from "no children".
    for node in nodes:
        node.loaded_children = None
        node.is_focus = False
    return nodes


# ---------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------


@login_required
def location_tree(request):
    """Roots of the tree (optionally of one site), expanded lazily; ?q= lists matching nodes
    with their paths; ?focus=<id or code> opens the tree down to one location."""
    user = request.user
    _require(user, "view")
    scoped = Location.objects.for_user(user)
    sites = list(Site.objects.for_user(user).only("id", "code", "name"))
    site_ref = request.GET.get("site", "").strip()
    site = resolve_ref(Site.objects.for_user(user), site_ref) if site_ref else None
    errors = []
    if site_ref and site is None:
        errors.append(_("No site with code or id “%(value)s”.") % {"value": site_ref[:60]})

    focus = None
    focus_ref = request.GET.get("focus", "").strip()
    if focus_ref:
        focus = resolve_ref(scoped, focus_ref)
        if focus is None:
            errors.append(_("No location with code or id “%(value)s”.") % {"value": focus_ref[:60]})
        elif site is None:
            site = next((s for s in sites if s.pk == focus.site_id), None)
    if site is not None:
        scoped = scoped.filter(site=site)

    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    results = more_results = None
    if q:
        found = list(_ranked_locations(scoped, q).only(*NODE_FIELDS)[: SEARCH_LIMIT + 1])
        more_results = len(found) > SEARCH_LIMIT
        results = [_with_path(node) for node in _decorate(found[:SEARCH_LIMIT])]

    roots = _decorate(_in_natural_order(_with_child_counts(scoped.filter(parent__isnull=True))))
    if focus is not None:
        _preload_path(roots, focus, scoped)

    context = {
        "sites": sites,
        "site": site,
        "q": q,
        "results": results,
        "more_results": more_results,
        "roots": roots,
        "focus": focus,
        "errors": errors,
        "can_change": user.has_perm(LOCATION.perm("change")),
        "list_url": _url_or_none("org:location_list"),
    }
    template = "org/location_tree.html"
    if request.htmx and request.htmx.target == "hq-tree-body":
        template += "#tree_body"
    return render(request, template, context)


def _preload_path(roots, focus: Location, scoped) -> None:
    """Give the focus and each of its ancestors their children (one query for all levels), so the
    tree opens down to the focus without a round trip per level."""
    open_ids = [int(part) for part in focus.tree_path.strip("/").split("/") if part]
    children = _decorate(_in_natural_order(_with_child_counts(scoped.filter(parent_id__in=open_ids))))
    by_parent: dict[int, list] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)
    level = roots
    while level:
        next_level = []
        for node in level:
            node.is_focus = node.pk == focus.pk
            if node.pk in by_parent:
                node.loaded_children = by_parent[node.pk]
                next_level.extend(node.loaded_children)
        level = next_level


def _with_path(node: Location) -> Location:
    """Pair the names of node.full_name with the ids of node.tree_path, so each step of the path
    can link to that ancestor without a query."""
    ids = [part for part in node.tree_path.strip("/").split("/") if part]
    names = node.full_name.split(" / ")
    node.path_steps = list(zip(ids, names, strict=True)) if len(ids) == len(names) else []
    return node


@login_required
def location_children(request, pk):
    """The children of one node, for the tree's lazy expansion (an htmx fragment)."""
    _require(request.user, "view")
    scoped = Location.objects.for_user(request.user)
    parent = get_object_or_404(scoped.only("id", "tree_path"), pk=pk)
    if not request.htmx:
        return redirect(_focus_url(parent))
    nodes = _decorate(list(_with_child_counts(scoped.filter(parent=parent))[: CHILDREN_LIMIT + 1]))
    context = {
        "nodes": _in_natural_order(nodes[:CHILDREN_LIMIT]),
        "cut": len(nodes) > CHILDREN_LIMIT,
        "parent": parent,
        "can_change": request.user.has_perm(LOCATION.perm("change")),
        "list_url": _url_or_none("org:location_list"),
    }
    return render(request, "org/location_tree.html#nodes", context)


# ---------------------------------------------------------------------------------------------
# Moving and renaming
# ---------------------------------------------------------------------------------------------


class ParentPickerWidget(PickerWidget):
    """The location picker, offering only the kinds a location of this kind may sit under."""

    def __init__(self, kinds=(), attrs=None):
        super().__init__("org:location_pick", attrs)
        self.kinds = sorted(kinds)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.kinds:
            context["widget"]["picker_url"] += "?" + urlencode({"kind": self.kinds}, doseq=True)
        return context


class MoveForm(ScopedFormMixin, PickerFieldMixin, LocationMoveForm):
    """LocationMoveForm limited to what the mover may see. Where the location may be a root, an
    empty parent must be asked for with a tick: the picker empties its value while the user types,
    and a stray Enter must not move a building to the top of the tree."""

    top_level = forms.BooleanField(required=False, label=gettext_lazy("Make it a top-level location"))

    def __init__(self, *args, location: Location, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_kinds = {parent for parent, kinds in ALLOWED_CHILDREN.items() if parent and location.kind in kinds}
        widget = ParentPickerWidget(self.parent_kinds)
        widget.choices_queryset = self.fields["parent"].queryset
        self.fields["parent"].widget = widget
        self.may_be_root = location.kind in ALLOWED_CHILDREN[None]
        if self.may_be_root:
            self.fields["top_level"].initial = location.parent_id is None
        else:
            del self.fields["top_level"]
            self.fields["parent"].required = True

    def clean(self):
        data = super().clean()
        # A chosen parent wins over the tick (which stays ticked on a location that is a root now).
        if (
            self.may_be_root
            and "parent" not in self.errors
            and data.get("parent") is None
            and not data.get("top_level")
        ):
            self.add_error("parent", _("Choose the new parent, or tick “Make it a top-level location”."))
        return data


@login_required
def location_move(request, pk):
    """Move a location (with its subtree) under another parent and/or rename it."""
    _require(request.user, "change")
    location = get_object_or_404(LOCATION.queryset_for(request.user), pk=pk)
    if request.method == "POST":
        form = MoveForm(request.POST, user=request.user, location=location)
        if form.is_valid():
            try:
                move_location(
                    location, parent=form.cleaned_data["parent"], name=form.cleaned_data["name"], by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("%(location)s is now at %(path)s.") % {"location": location, "path": location.full_name}
                )
                return redirect(detail_url(location))
    else:
        form = MoveForm(
            initial={"parent": location.parent_id, "name": location.name}, user=request.user, location=location
        )
    context = {
        "location": location,
        "form": form,
        "subtree_size": location.subtree().count() - 1,
        "parent_kinds": [LocationKind(kind).label for kind in sorted(form.parent_kinds)],
        "detail_url": detail_url(location),
    }
    return render(request, "org/location_move.html", context)


# ---------------------------------------------------------------------------------------------
# Pickers: GET ?q= → {"items": [{"id", "label", "detail"}]}
# ---------------------------------------------------------------------------------------------


def _json_error(status: int, detail: str, errors: dict | None = None) -> JsonResponse:
    body = {"detail": detail}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def _picker_denied(request, perm: str) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return _json_error(403, _("Log in to search."))
    if not request.user.has_perm(perm):
        return _json_error(403, _("You may not search these records."))
    return None


def _ranked_locations(queryset, q: str):
    return queryset.ranked_search(q).order_by("match_rank", "depth", "code")


def location_pick(request):
    """Locations matching ?q= (code, name, pinyin initials of the name or of the path), best
    first; ?kind=room (repeatable) keeps only those kinds."""
    if denied := _picker_denied(request, LOCATION.perm("view")):
        return denied
    kinds = request.GET.getlist("kind")
    unknown = [kind for kind in kinds if kind not in LocationKind.values]
    if unknown:
        message = _("Unknown kind “%(value)s”.") % {"value": unknown[0][:30]}
        return _json_error(400, message, {"kind": [message]})
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    if not q:
        return JsonResponse({"items": []})
    queryset = Location.objects.for_user(request.user).filter(is_active=True)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    found = _ranked_locations(queryset, q).only("id", "code", "name", "full_name")[:PICK_LIMIT]
    items = [{"id": loc.pk, "label": str(loc), "detail": loc.full_name} for loc in found]
    return JsonResponse({"items": items})


def person_pick(request):
    """People matching ?q= (employee number, name, pinyin initials, or the start of a phone
    number), best first, with company, team and phone as detail."""
    if denied := _picker_denied(request, PERSON.perm("view")):
        return denied
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    if not q:
        return JsonResponse({"items": []})
    queryset = Person.objects.for_user(request.user).filter(is_active=True)
    phone = Q(phone__startswith=q) if q.isdigit() and len(q) >= 3 else None
    found = (
        queryset.ranked_search(q, also=phone)
        .select_related("company", "team")
        .only("id", "employee_no", "name", "phone", "company__name", "team__name")
        .order_by("match_rank", "name", "employee_no")[:PICK_LIMIT]
    )
    items = [
        {
            "id": person.pk,
            "label": str(person),
            "detail": " · ".join(
                part for part in (person.company.name, person.team.name if person.team else "", person.phone) if part
            ),
        }
        for person in found
    ]
    return JsonResponse({"items": items})


# ---------------------------------------------------------------------------------------------
# QR labels
# ---------------------------------------------------------------------------------------------


def label_qr_svg(location: Location) -> str:
    """The label's QR code as inline SVG: the permanent short URL of the location."""
    return mark_safe(_qr_svg(label_url(location.label_code)))


@lru_cache(maxsize=4096)
def _qr_svg(url: str) -> str:
    # A few milliseconds each: cached, so a sheet printed again (or a page of it) comes back fast.
    # Level M, raised by segno when the code has room to spare: labels on walls get scratched.
    # segno escapes the title; the rest is numbers and path commands.
    return segno.make_qr(url, error="m").svg_inline(scale=1, border=2, omitsize=True, title=url, svgclass="hq-qr")


class LabelSelectionForm(ScopedFormMixin, PickerFieldMixin, forms.Form):
    location = RefChoiceField(
        Location.objects.all(),
        required=False,
        label=gettext_lazy("location and everything under it"),
        widget=PickerWidget("org:location_pick"),
    )
    kind = forms.MultipleChoiceField(
        choices=LocationKind.choices,
        required=False,
        label=gettext_lazy("only these kinds"),
        widget=forms.CheckboxSelectMultiple,
    )
    ids = forms.CharField(required=False, label=gettext_lazy("or these locations (ids or codes, comma separated)"))

    def clean_ids(self):
        raw = self.cleaned_data.get("ids", "")
        values = [part.strip() for part in raw.replace("，", ",").replace(" ", ",").split(",") if part.strip()]
        if len(values) > LABELS_LIMIT:
            raise ValidationError(_("Give at most %(limit)s locations."), params={"limit": LABELS_LIMIT})
        return values

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("location") and not data.get("ids"):
            raise ValidationError(_("Choose a location, or list the locations to print."))
        return data

    def selection(self, queryset):
        data = self.cleaned_data
        if data.get("ids"):
            ids = [int(value) for value in data["ids"] if value.isdigit() and len(value) < 19]
            queryset = queryset.filter(Q(pk__in=ids) | Q(code__in=data["ids"]))
        else:
            queryset = queryset.filter(tree_path__startswith=data["location"].tree_path, is_active=True)
        if data.get("kind"):
            queryset = queryset.filter(kind__in=data["kind"])
        return queryset.only("id", "code", "name", "full_name", "label_code").order_by("code")


@login_required
def location_labels(request):
    """A printable A4 sheet of QR labels for ?location=<id or code> (and its subtree, optionally
    &kind=room) or for ?ids=1,2,3; at most LABELS_LIMIT labels."""
    _require(request.user, "view")
    labels = sheets = None
    cut = False
    form = LabelSelectionForm(request.GET or None, user=request.user)
    if request.GET and form.is_valid():
        found = list(form.selection(Location.objects.for_user(request.user))[: LABELS_LIMIT + 1])
        cut = len(found) > LABELS_LIMIT
        labels = _in_natural_order(found[:LABELS_LIMIT])
        for location in labels:
            location.qr_svg = label_qr_svg(location)
        sheets = [labels[i : i + LABELS_PER_SHEET] for i in range(0, len(labels), LABELS_PER_SHEET)]
    context = {"form": form, "labels": labels, "sheets": sheets, "cut": cut, "limit": LABELS_LIMIT}
    return render(request, "org/location_labels.html", context)
