"""Access scope: which rows of a model a user may see at all (permissions say what they may do).

Every list, detail, export and API endpoint goes through for_user(); rows outside it answer 404.
A model states, per scope, the lookup from its rows to the company or department that owns them:
  scope_lookups = {Scope.COMPANY: "company", Scope.DEPARTMENT: "department"}
A scope missing from the mapping means the model is shared reference data (everyone with the
view permission sees all of it); a scope mapped to None means the scoped user sees none of it."""

from django.db import models

from houqin.accounts.roles import Scope, scope_of

_ALL = object()


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        scope = scope_of(user)
        if scope == Scope.ALL:
            return self
        lookups = getattr(self.model, "scope_lookups", {})
        if scope not in lookups:
            return self
        lookup = lookups[scope]
        person = getattr(user, "person", None) if _has_person(user) else None
        owner_id = None
        if person is not None:
            owner_id = person.company_id if scope == Scope.COMPANY else person.department_id
        if lookup is None or owner_id is None:
            return self.none()
        return self.filter(**{lookup: owner_id})

    def search(self, text: str):
        """Match code, name or pinyin (initials or full) of every word typed."""
        text = (text or "").strip()
        if not text:
            return self
        qs = self
        code_field = getattr(self.model, "code_field", None)
        for word in text.lower().split()[:5]:
            cond = models.Q(search_text__icontains=word)
            if code_field:
                cond |= models.Q(**{f"{code_field}__icontains": word})
            qs = qs.filter(cond)
        return qs


def _has_person(user) -> bool:
    try:
        user.person  # noqa: B018  (reverse one-to-one raises when absent)
    except Exception:
        return False
    return True
