"""The sidebar: each app registers its entries with the permission that shows them."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuItem:
    section: str
    label: str
    url_name: str
    permission: str | None = None  # any of these, separated by "|"
    icon: str = ""


_items: list[MenuItem] = []


def register_menu(*items: MenuItem) -> None:
    for item in items:
        if item not in _items:
            _items.append(item)


def menu_for(request) -> list[dict]:
    """Sections with the entries the user may open, in registration order; the entry whose URL
    is the longest prefix of the current path is marked active."""
    user = request.user
    sections: dict[str, list] = {}
    current = request.path
    best = None
    for item in _items:
        if item.permission and not any(user.has_perm(p) for p in item.permission.split("|")):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entry = {"label": item.label, "url": url, "icon": item.icon, "active": False}
        sections.setdefault(str(item.section), []).append(entry)
        if url != "/" and current.startswith(url) and (best is None or len(url) > len(best["url"])):
            best = entry
    if best is not None:
        best["active"] = True
    return [{"section": name, "items": entries} for name, entries in sections.items()]
