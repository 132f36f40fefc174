"""manage.py rolematrix: the default permissions of houqin/accounts/roles.py as Markdown tables,
for docs/roles.md. It reads roles.py and the installed models only, not the database, so it shows
what a fresh installation gets, not what the security admin has changed since."""

import fnmatch
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from houqin.accounts.roles import ROLES

ACTIONS = (("view", "V"), ("add", "A"), ("change", "C"), ("delete", "D"))
SPECIAL = {"core.export_data": "export (E)"}
START = "<!-- rolematrix:start"
END = "<!-- rolematrix:end -->"
SCOPE_TEXT = {
    "all": "all records the permissions allow",
    "company": "own company only",
    "department": "own department only",
}


def all_permissions() -> dict[str, tuple[str, str]]:
    """Every model permission as "app.codename" → (app.model, action); custom ones keep their codename."""
    result = {}
    for model in apps.get_models():
        opts = model._meta
        for action in opts.default_permissions:
            result[f"{opts.app_label}.{action}_{opts.model_name}"] = (f"{opts.app_label}.{opts.model_name}", action)
        for codename, _name in opts.permissions:
            result[f"{opts.app_label}.{codename}"] = (f"{opts.app_label}.{opts.model_name}", codename)
    return result


def expand(pattern: str, known: dict) -> list[str]:
    if any(ch in pattern for ch in "*?["):
        return sorted(code for code in known if fnmatch.fnmatchcase(code, pattern))
    return [pattern] if pattern in known else []


def model_label(model_key: str) -> str:
    if model_key == "auth.group":
        return "roles (`auth.group`)"  # Django calls them groups; houqin's pages call them roles
    try:
        model = apps.get_model(model_key)
    except LookupError:
        return model_key
    return f"{model._meta.verbose_name_plural} (`{model_key}`)"


def render_matrix() -> str:
    known = all_permissions()
    grants: dict[str, dict[str, set[str]]] = {}  # model → role → letters
    specials: dict[str, set[str]] = {}  # special code → roles
    models_in_order: list[str] = []
    for role in ROLES:
        for pattern in role.permissions:
            for code in expand(pattern, known):
                if code in SPECIAL:
                    specials.setdefault(code, set()).add(role.code)
                    continue
                model_key, action = known[code]
                letter = dict(ACTIONS).get(action, action)
                if model_key not in grants:
                    grants[model_key] = {}
                    models_in_order.append(model_key)
                grants[model_key].setdefault(role.code, set()).add(letter)

    order = "".join(letter for _action, letter in ACTIONS)
    lines = ["### Roles", "", "| code | role | scope | what it does |", "|---|---|---|---|"]
    for role in ROLES:
        lines.append(
            f"| `{role.code}` | {role.label} | {SCOPE_TEXT.get(role.scope, role.scope)} | {role.description} |"
        )
    lines += [
        "",
        "### Default permissions",
        "",
        "V view, A add, C change, D delete; E export lists to Excel/CSV (`core.export_data`, one right for all lists).",
        "",
        "| records | " + " | ".join(f"`{role.code}`" for role in ROLES) + " |",
        "|---|" + "---|" * len(ROLES),
    ]
    models_in_order.sort(key=lambda key: (key.split(".")[0] != "org", key.split(".")[0], key))
    for model_key in models_in_order:
        cells = []
        for role in ROLES:
            letters = grants[model_key].get(role.code, set())
            known_letters = "".join(ch for ch in order if ch in letters)
            others = sorted(letters - set(order))
            cells.append(" ".join([known_letters, *others]).strip())
        lines.append(f"| {model_label(model_key)} | " + " | ".join(cells) + " |")
    for code, label in SPECIAL.items():
        holders = specials.get(code, set())
        lines.append(f"| {label} | " + " | ".join("E" if role.code in holders else "" for role in ROLES) + " |")
    return "\n".join(lines) + "\n"


def replace_in_document(text: str, matrix: str) -> str:
    """The document with the part between the rolematrix markers replaced by matrix."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        raise ValueError("the document has no rolematrix markers")
    start_line_end = text.index("\n", start) + 1
    return text[:start_line_end] + matrix + text[end:]


class Command(BaseCommand):
    help = "Print the default permission matrix of the roles (roles.py) as Markdown, or refresh it in a document."

    def add_arguments(self, parser):
        parser.add_argument("--language", default="en", help="language of role and model names (default: en)")
        parser.add_argument(
            "--write",
            metavar="FILE",
            help="replace the tables between the rolematrix markers of FILE (docs/roles.md) instead of printing",
        )

    def handle(self, *args, language, write, **options):
        with translation.override(language):
            matrix = render_matrix()
        if not write:
            self.stdout.write(matrix, ending="")
            return
        path = Path(write)
        try:
            updated = replace_in_document(path.read_text(encoding="utf-8"), matrix)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        path.write_text(updated, encoding="utf-8")
        self.stdout.write(f"Updated the role matrix in {path}.")
