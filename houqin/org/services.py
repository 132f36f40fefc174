"""Operations on master data that do more than save one form: each one validates, writes in a
single transaction and leaves its own audit row."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from houqin.core.audit import AuditAction, record_change
from houqin.core.exceptions import ConflictError
from houqin.core.services import save_form
from houqin.org.models import DirectoryEntry, Location, Person

# Model errors that the caller of move_location() can only fix by choosing another parent.
_PARENT_ERRORS = ("parent", "kind", "site")


def move_location(location: Location, *, parent: Location | None, name: str, by) -> Location:
    """Rename `location` and/or place it under `parent` (None: make it a root), with its whole
    subtree, and record one "move" audit row.

    Moving under a parent of another site moves the location and everything under it to that
    site (the tree never mixes sites). Raises ValidationError keyed by "parent" or "name" when the
    move is not allowed (a cycle, a kind that does not belong under the parent), and ConflictError
    when the destination was moved by someone else meanwhile. Returns the saved location; the
    instance passed in is refreshed too.
    """
    name = (name or "").strip()
    with transaction.atomic():
        # Lock the location and the destination's whole ancestor chain, in one statement in id
        # order (so two moves cannot deadlock). The lock on the location stops two people moving
        # or renaming it at once: each would rewrite the subtree from the old path it read, and
        # the loser's rewrite would match nothing, leaving the sub-locations under a stale path.
        # The lock on the chain stops "X into Y's subtree" and "Y into X's subtree" from both
        # passing the cycle check: each of them locks both X and Y, so the second one waits and
        # then sees the first one's result.
        chain_ids = _path_ids(parent.tree_path) if parent is not None else []
        locked = {
            loc.pk: loc
            for loc in Location.objects.select_for_update().filter(pk__in=[location.pk, *chain_ids]).order_by("pk")
        }
        current = locked.get(location.pk)
        if current is None:
            raise ConflictError(_("This location no longer exists."))
        new_parent = locked.get(parent.pk) if parent is not None else None
        if parent is not None and (new_parent is None or _path_ids(new_parent.tree_path) != chain_ids):
            raise ConflictError(_("The new parent location was changed meanwhile; please try again."))

        before = {
            "parent": str(current.parent) if current.parent_id else None,
            "name": current.name,
            "site": str(current.site),
            "path": current.full_name,
        }
        if current.parent_id == (new_parent.pk if new_parent else None) and current.name == name:
            location.refresh_from_db()
            return current

        current.parent = new_parent
        current.name = name
        if new_parent is not None and new_parent.site_id != current.site_id:
            current.site_id = new_parent.site_id
        try:
            current.full_clean()
        except ValidationError as exc:
            raise _as_move_errors(exc) from exc
        moved = current.subtree().count() - 1
        current.save()

        after = {
            "parent": str(new_parent) if new_parent else None,
            "name": current.name,
            "site": str(current.site),
            "path": current.full_name,
        }
        changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
        note = (
            ngettext("%(count)s sub-location moved with it.", "%(count)s sub-locations moved with it.", moved)
            % {"count": moved}
            if moved
            else ""
        )
        record_change(current, AuditAction.MOVE, by=by, changes=changes, note=note)
    location.refresh_from_db()
    return current


def save_location(form, *, by, note: str = "") -> Location:
    """Save a validated LocationForm (API, import). A new parent goes through move_location() —
    its locks, cycle check and site change, the subtree's paths and one "move" audit row — after
    save_form() has saved and audited the other fields where the location stands, so that the
    move checks the kind the location is given.

    Raises what move_location() raises: ValidationError keyed by "parent" or "name", and
    ConflictError when the destination was moved by someone else meanwhile; nothing is kept then.
    """
    location = form.instance
    if location._state.adding:
        return save_form(form, by=by, note=note)
    with transaction.atomic():
        stored = Location.objects.filter(pk=location.pk).values("parent_id", "name", "site_id").first()
        if stored is None or location.parent_id == stored["parent_id"]:
            return save_form(form, by=by, note=note)
        parent, name = location.parent, location.name
        location.parent_id, location.name, location.site_id = stored["parent_id"], stored["name"], stored["site_id"]
        save_form(form, by=by, note=note)
        move_location(location, parent=parent, name=name, by=by)
    return location


def _path_ids(tree_path: str) -> list[int]:
    return [int(part) for part in tree_path.strip("/").split("/") if part]


def _as_move_errors(exc: ValidationError) -> ValidationError:
    """Key the model's errors by what the mover chose: the parent or the name."""
    if not hasattr(exc, "error_dict"):
        return ValidationError({"parent": exc.messages})
    errors: dict[str, list] = {}
    for field, field_errors in exc.error_dict.items():
        key = "parent" if field in _PARENT_ERRORS else "name" if field == "name" else "__all__"
        errors.setdefault(key, []).extend(field_errors)
    return ValidationError(errors)


# ---------------------------------------------------------------------------------------------
# Phone numbers: who is calling (the directory lookup API and the service desk's telephony)
# ---------------------------------------------------------------------------------------------

# Separators people type or paste in phone numbers, full-width ones included.
_SEPARATORS = str.maketrans("", "", " \t-().\u3000（）－")
PHONE_PATTERN = re.compile(r"^\+?[0-9]{2,20}$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
MAX_CALLER_MATCHES = 20


def normalize_phone(raw: str) -> str:
    """ "+86 139-0000-0000" → "13900000000": no separators, no China country prefix (+86 / 0086)."""
    text = (raw or "").strip().translate(_SEPARATORS)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _without_separators(field: str):
    expression = field
    for separator in (" ", "-", "(", ")"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def extension_candidates(phone: str) -> list[str]:
    """The internal extensions a normalised outside number may be the direct line of: its last 4
    and 5 digits, for a landline of 7 or more digits ("057186106101" → "6101", "06101"). A
    hospital's direct lines are <area code><8-digit number> whose last digits are the extension.
    Mobile numbers (11 digits from 13…19) are nobody's extension: none for them."""
    if not phone.isdigit() or len(phone) < 7 or _MOBILE.match(phone):
        return []
    return [phone[-4:], phone[-5:]]


def find_callers(phone: str, user=None) -> list[dict]:
    """Who a normalised number belongs to, first match wins:
    1. phone directory entries with exactly this number (written with or without separators);
    2. people whose mobile phone it is;
    3. for an outside landline number (extension_candidates), directory entries whose number is
       the 4–5 digit extension it ends with: "0571 8610 6101" is extension 6101's direct line.
    Only what the user may see: entries need org.view_directoryentry, people org.view_person and
    scope. user=None matches against everything (the telephone system's screen-pop, shown later to
    agents who may see it all); each match also carries the directory `entry` (or None)."""
    may_see_entries = user is None or user.has_perm("org.view_directoryentry")
    matches: list[dict] = []
    if may_see_entries:
        matches = _directory_matches(Q(number=phone) | Q(bare_number=phone), user)
    if not matches and (user is None or user.has_perm("org.view_person")):
        people = Person.objects.for_user(user) if user is not None else Person.objects.all()
        people = (
            people.filter(is_active=True)
            .annotate(bare_phone=_without_separators("phone"))
            .filter(Q(phone=phone) | Q(bare_phone=phone))
            .select_related("department")
            .order_by("employee_no", "pk")[:MAX_CALLER_MATCHES]
        )
        for person in people:
            matches.append(
                {
                    "source": "person",
                    "who": person.name,
                    "department": person.department,
                    "location": None,
                    "person": person,
                    "entry": None,
                }
            )
    extensions = extension_candidates(phone)
    if not matches and may_see_entries and extensions:
        matches = _directory_matches(Q(bare_number__in=extensions), user)
    return matches


def _directory_matches(condition: Q, user) -> list[dict]:
    entries = DirectoryEntry.objects.for_user(user) if user is not None else DirectoryEntry.objects.all()
    entries = (
        entries.filter(is_active=True)
        .annotate(bare_number=_without_separators("number"))
        .filter(condition)
        .select_related("department", "location", "person")
        .order_by("number", "pk")[:MAX_CALLER_MATCHES]
    )
    return [
        {
            "source": "directory",
            "who": entry.label,
            "department": entry.department,
            "location": entry.location,
            "person": entry.person,
            "entry": entry,
        }
        for entry in entries
    ]
