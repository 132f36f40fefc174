from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from houqin.accounts.management.commands.rolematrix import replace_in_document

pytestmark = pytest.mark.django_db


def matrix() -> str:
    out = StringIO()
    call_command("rolematrix", stdout=out)
    return out.getvalue()


def test_it_prints_roles_with_their_scope():
    text = matrix()
    assert "| `contractor_manager` | Contractor manager | own company only |" in text
    assert "| `department_user` | Department user | own department only |" in text


def test_it_prints_the_default_permissions_per_model_and_role():
    lines = {line.split("|")[1].strip(): line for line in matrix().splitlines() if line.startswith("| ")}
    header = [cell.strip() for cell in lines["records"].split("|")[2:-1]]
    row = dict(zip(header, (cell.strip() for cell in lines["sites (`org.site`)"].split("|")[2:-1]), strict=True))
    assert row["`system_admin`"] == "VACD"
    assert row["`worker`"] == "V"
    assert row["`security_admin`"] == ""
    audit = dict(
        zip(header, (c.strip() for c in lines["change records (`core.auditentry`)"].split("|")[2:-1]), strict=True)
    )
    assert [role for role, cell in audit.items() if cell] == ["`auditor`"]
    export = dict(zip(header, (c.strip() for c in lines["export (E)"].split("|")[2:-1]), strict=True))
    assert export["`auditor`"] == "E"
    assert export["`security_admin`"] == ""


def test_docs_roles_md_shows_the_current_defaults():
    doc = Path(settings.BASE_DIR, "docs", "roles.md").read_text(encoding="utf-8")
    assert replace_in_document(doc, matrix()) == doc, (
        "docs/roles.md no longer matches roles.py: run `manage.py rolematrix --write docs/roles.md`"
    )


def test_it_refreshes_a_document_between_its_markers(tmp_path):
    doc = tmp_path / "roles.md"
    doc.write_text("intro\n<!-- rolematrix:start -->\nold\n<!-- rolematrix:end -->\noutro\n", encoding="utf-8")
    call_command("rolematrix", write=str(doc), stdout=StringIO())
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("intro\n<!-- rolematrix:start -->\n### Roles")
    assert text.endswith("<!-- rolematrix:end -->\noutro\n")
    assert "old" not in text
