"""References by id or business code: the API, imports and forms accept either.

A JSON number is an id. A string is first matched against the model's business code
(Location.code, Person.employee_no…); a string of digits that matches no code is taken as an id."""

from django.db import models


def ref_lookup(model, value) -> models.Q | None:
    """The filter that finds the referenced row, or None for an empty or malformed value."""
    if value is None or isinstance(value, bool):
        return None
    code_field = getattr(model, "code_field", None)
    if isinstance(value, int):
        return models.Q(pk=value) if value > 0 else None
    text = str(value).strip()
    if not text or len(text) > 200:
        return None
    if code_field:
        if text.isdigit():
            return models.Q(**{code_field: text}) | (models.Q(pk=int(text)) & ~models.Q(**{code_field: text}))
        return models.Q(**{code_field: text})
    return models.Q(pk=int(text)) if text.isdigit() and len(text) < 19 else None


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
