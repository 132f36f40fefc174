"""References by id or business code: the API, imports and forms accept either.

A JSON number is an id. A string is first matched against the model's business code
(Location.code, Person.employee_no…); a string of digits that matches no code is taken as an id."""

from django.db import models

MAX_ID = 2**63 - 1


def ref_lookup(model, value) -> models.Q | None:
    """The filter that finds the referenced row, or None for an empty or malformed value."""
    if value is None or isinstance(value, bool):
        return None
    code_field = getattr(model, "code_field", None)
    if isinstance(value, int):
        return models.Q(pk=value) if 0 < value <= MAX_ID else None
    text = str(value).strip()
    # The database refuses NUL characters and ids beyond 64 bits: such input simply matches nothing.
    if not text or len(text) > 200 or "\x00" in text:
        return None
    is_id = text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID
    if code_field:
        if is_id:
            return models.Q(**{code_field: text}) | (models.Q(pk=int(text)) & ~models.Q(**{code_field: text}))
        return models.Q(**{code_field: text})
    return models.Q(pk=int(text)) if is_id else None


def resolve_ref(queryset, value):
    """The row of queryset that value refers to, or None. Code matches win over id matches."""
    cond = ref_lookup(queryset.model, value)
    if cond is None:
        return None
    code_field = getattr(queryset.model, "code_field", None)
    matches = list(queryset.filter(cond)[:2])
    if len(matches) > 1 and code_field:
        matches.sort(key=lambda obj: getattr(obj, code_field) != str(value).strip())
    return matches[0] if matches else None
