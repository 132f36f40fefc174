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

    def ranked_search(self, text: str, *, also: models.Q | None = None):
        """search(), annotated with match_rank for "best first": 0 the exact code, 1 a code
        starting with the text (or a row matching `also`, e.g. a phone number prefix), 2 a name
        starting with it, 3 any other match (name or pinyin anywhere). Order by it in the
        database and add the model's own tie-breakers."""
        text = (text or "").strip()
        code_field = getattr(self.model, "code_field", None)
        name_field = getattr(self.model, "search_fields", ("name",))[0]
        found = self.search(text)
        whens = []
        if text and code_field:
            whens.append(models.When(**{f"{code_field}__iexact": text}, then=models.Value(0)))
            whens.append(models.When(**{f"{code_field}__istartswith": text}, then=models.Value(1)))
        if also is not None:
            found = found | self.filter(also)
            whens.append(models.When(also, then=models.Value(1)))
        if text:
            whens.append(models.When(**{f"{name_field}__istartswith": text}, then=models.Value(2)))
        if not whens:
            return found.annotate(match_rank=models.Value(3, output_field=models.IntegerField()))
        return found.annotate(
            match_rank=models.Case(*whens, default=models.Value(3), output_field=models.IntegerField())
        )


def _has_person(user) -> bool:
    try:
        user.person  # noqa: B018  (reverse one-to-one raises when absent)
    except Exception:
        return False
    return True
