"""Generic test cases, as NetBox has them: declare a model's factory and field values once in a
ModelCase, list the cases on a ModelMatrix subclass in a test module, and get the list, detail,
add, edit, delete, export, template, import and API tests for every role of the cast (conftest.py).

Each expectation is derived from what the user may do and see: the model permission
(`user.has_perm(spec.perm(action))`, 403 without it) and the access scope (`for_user()`, 404
outside it). Hard expectations that must not follow a changed permission go in plain tests."""

import csv
import datetime
import decimal
import io
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from houqin.accounts.roles import ROLES
from houqin.core.audit import snapshot
from houqin.core.models import AuditAction, AuditEntry
from houqin.core.specs import ModelSpec
from houqin.core.tests.apiclient import Api, api_as
from houqin.core.transfer import cell_text, get_transfer, write_csv, write_xlsx

ROLE_CODES = tuple(role.code for role in ROLES) + ("outsider",)
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "hq-results"}  # a list's table alone


@dataclass(frozen=True)
class ModelCase:
    """One model under the generic tests.

    make(cast, n): a row with its related records filled in (so an N+1 shows), owned by
    cast.contractor / cast.dept where the model is scoped. values(cast): a new row's fields as a
    user types them (codes for related records, lists for many-to-many), for the add page, the API
    and the import alike. update: fields an edit changes. protect(row): makes the row undeletable.
    scope(cast): (own, foreign) rows of the contractor manager's company and of another, with
    company_of(row). has_code: the API takes the business code in paths (else the id only)."""

    spec: ModelSpec
    make: Callable[[Any, int], models.Model]
    values: Callable[[Any], dict]
    update: dict
    protect: Callable[[models.Model], Any] | None = None
    scope: Callable[[Any], tuple[models.Model, models.Model]] | None = None
    company_of: Callable[[models.Model], Any] | None = None
    has_code: bool = True

    def __str__(self):
        return self.spec.slug

    @property
    def transfer(self):
        return get_transfer(self.spec.app_label, self.spec.slug)

    def url(self, action: str, obj=None) -> str:
        return reverse(self.spec.url_name(action), kwargs={"pk": obj.pk} if obj is not None else None)

    def api(self, obj=None, *, by_code: bool = False) -> str:
        return f"/{self.spec.api_path}" + ("" if obj is None else f"/{obj.business_code if by_code else obj.pk}")

    def rows(self, cast, user, action: str) -> list:
        """A made row and the scope pair; one row is enough to see a refusal by permission."""
        rows = [self.make(cast, 0), *(self.scope(cast) if self.scope else ())]
        return rows if user.has_perm(self.spec.perm(action)) else rows[:1]

    def expect(self, user, action: str, obj=None, ok: int = 200) -> int:
        """403 without the permission, 404 for a row outside the user's scope, else ok."""
        if not user.has_perm(self.spec.perm(action)):
            return 403
        if obj is not None and not self.spec.model.objects.for_user(user).filter(pk=obj.pk).exists():
            return 404
        return ok

    def pks(self) -> set:
        return set(self.spec.model.objects.values_list("pk", flat=True))

    def deletable_rows(self, cast, user) -> list[tuple[models.Model, bool]]:
        """(row, in use): a row nothing uses and, where protect() is given, one still in use."""
        rows = [(self.make(cast, 1), False)]
        if self.protect and user.has_perm(self.spec.perm("delete")):
            rows.append((self.make(cast, 2), True))
            self.protect(rows[-1][0])
        return rows

    def keys(self, objects=(), file=()) -> list[tuple]:
        """The import key (business code; a certificate's holder, name and number) of each row
        given, or of each data row of a file."""
        at = [i for i, c in enumerate(self.transfer.bound_columns) if c.name in self.transfer.key_fields]
        cells = [[cell_text(c.export_value(obj)) for c in self.transfer.bound_columns] for obj in objects]
        return sorted(tuple(row[i] for i in at) for row in [*cells, *file[1:]])


# --- values in the shape each channel takes ------------------------------------------------------


def form_post(spec: ModelSpec, values: dict) -> dict:
    """values as a browser posts the form; a field not given takes the model's default."""
    post = {}
    for name in spec.form_class.base_fields:
        field = spec.model._meta.get_field(name)
        value = values[name] if name in values else (field.get_default() if field.has_default() else None)
        if value is None or value is False:
            continue  # an empty input, an unticked box
        if isinstance(value, (list, tuple)):
            post[name] = [str(v) for v in value]
        else:
            post[name] = "on" if value is True else import_cell(value)
    return post


def api_body(values: dict) -> dict:
    return {k: str(v) if isinstance(v, (datetime.date, decimal.Decimal)) else v for k, v in values.items()}


def import_cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)  # dates as YYYY-MM-DD


def stored_form_values(obj, spec: ModelSpec) -> dict:
    """obj's current values for its form (ids for related records): what its edit page holds."""
    data = {}
    for name in spec.form_class.base_fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            data[name] = [item.pk for item in getattr(obj, name).all()]
        else:
            data[name] = getattr(obj, field.attname) if field.is_relation else field.value_from_object(obj)
    return data


def assert_values(obj, values: dict) -> None:
    """obj holds the values as given (related records compared by business code)."""
    obj.refresh_from_db()
    for name, expected in values.items():
        field, stored = obj._meta.get_field(name), getattr(obj, name)
        if field.many_to_many:
            stored, expected = sorted(o.business_code for o in stored.all()), sorted(expected)
        elif field.is_relation:
            stored = stored.business_code if stored is not None else None
        elif isinstance(field, models.DecimalField):
            expected = decimal.Decimal(str(expected))
        assert stored == expected, f"{name}: stored {stored!r}, given {expected!r}"


def audit_entries(model, action: str, obj=None):
    entries = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), action=action)
    return entries if obj is None else entries.filter(object_id=str(obj.pk))


def file_rows(content: bytes, fmt: str) -> list[list[str]]:
    """The first sheet of an .xlsx, or a CSV, as text cells, header first."""
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")  # so that Excel reads Chinese text right
        return [[cell_text(c) for c in row] for row in csv.reader(io.StringIO(content.decode("utf-8-sig")))]
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = [[cell_text(c) for c in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def upload(rows: list[list[str]], fmt: str = "csv") -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(f"rows.{fmt}", buffer.getvalue().encode("utf-8-sig"))


def refused_filter(spec: ModelSpec) -> dict | None:
    """A query the list refuses with a message (a choice that does not exist, a word for a number)."""
    for name in spec.filterset_class.base_filters:
        if not spec.filterset_class({name: "no-such"}, queryset=spec.model.objects.none()).is_valid():
            return {name: "no-such"}
    return None


def only_cases(predicate: Callable[[ModelCase], bool]):
    """Run a matrix test only for the cases that have what it needs (e.g. a scope pair)."""

    def mark(func):
        func.case_filter = predicate
        return func

    return mark


# --- the matrix ----------------------------------------------------------------------------------


class ModelMatrix:
    """Subclass as `class TestXyz(ModelMatrix): cases = (...)`; each test runs for every case."""

    cases: tuple[ModelCase, ...] = ()

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            chosen = [case for case in self.cases if getattr(metafunc.function, "case_filter", bool)(case)]
            metafunc.parametrize("case", chosen, ids=str)

    @pytest.fixture(autouse=True)
    def _english(self, settings):
        settings.LANGUAGE_CODE = "en"
        with translation.override("en"):
            yield

    @pytest.fixture
    def as_role(self, cast, client_for, role):
        """(user, logged-in client) of the role under test."""
        return getattr(cast, role), client_for(getattr(cast, role))

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_list_and_detail_pages(self, case, cast, as_role):
        (user, client), spec = as_role, case.spec
        rows = case.rows(cast, user, "view")
        response = client.get(case.url("list"))
        assert response.status_code == case.expect(user, "view")
        if response.status_code == 200:  # every row the user may see, on one page
            assert {row.obj.pk for row in response.context["table"].rows} == set(
                spec.queryset_for(user).values_list("pk", flat=True)
            )
        for obj in [*rows, spec.model(pk=10**9)]:
            assert client.get(case.url("detail", obj)).status_code == case.expect(user, "view", obj)

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_add_page(self, case, cast, as_role):
        user, client = as_role
        expected, values, before = case.expect(user, "add"), case.values(cast), case.pks()
        assert client.get(case.url("add")).status_code == expected
        response = client.post(case.url("add"), form_post(case.spec, values))
        new = case.spec.model.objects.exclude(pk__in=before)
        if expected != 200:
            assert response.status_code == expected and not new.exists()
            assert not audit_entries(case.spec.model, AuditAction.CREATE).exists()
            return
        assert response.status_code == 302, response.context["form"].errors
        (obj,) = new
        assert response["Location"] == case.url("detail", obj)
        assert_values(obj, values)
        entry = audit_entries(case.spec.model, AuditAction.CREATE).get()  # exactly one
        assert (entry.object_id, entry.actor) == (str(obj.pk), user)

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_edit_page(self, case, cast, as_role):
        user, client = as_role
        for obj in case.rows(cast, user, "change"):
            expected, before = case.expect(user, "change", obj), snapshot(obj)
            assert client.get(case.url("edit", obj)).status_code == expected
            post = form_post(case.spec, {**stored_form_values(obj, case.spec), **case.update})
            response = client.post(case.url("edit", obj), post)
            updates = audit_entries(case.spec.model, AuditAction.UPDATE, obj)
            if expected != 200:
                obj.refresh_from_db()
                assert response.status_code == expected and snapshot(obj) == before and not updates.exists()
                continue
            assert response.status_code == 302, response.context["form"].errors
            assert_values(obj, case.update)
            after, entry = snapshot(obj), updates.get()
            assert entry.actor == user
            assert {name: entry.changes[name] for name in case.update} == {
                name: [before[name], after[name]] for name in case.update
            }

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_delete_page(self, case, cast, as_role):
        user, client = as_role
        # Rows made here only: a scope pair may be the cast's own companies, which people use.
        for obj, in_use in case.deletable_rows(cast, user):
            expected = case.expect(user, "delete", obj)
            assert client.get(case.url("delete", obj)).status_code == expected
            response = client.post(case.url("delete", obj))
            gone = not case.spec.model.objects.filter(pk=obj.pk).exists()
            assert gone == (expected == 200 and not in_use)
            assert audit_entries(case.spec.model, AuditAction.DELETE, obj).exists() == gone
            if expected != 200:
                assert response.status_code == expected
            else:  # deleted: back to the list; refused: back to the row, with a message
                assert response["Location"] == (case.url("list") if gone else case.url("detail", obj))

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_export_and_template(self, case, cast, as_role):
        user, client = as_role
        row = case.rows(cast, user, "view")[0]
        expected = 200 if user.has_perms([case.spec.perm("view"), "core.export_data"]) else 403
        header = [column.label for column in case.transfer.bound_columns]
        # The file holds what the list shows: unfiltered, searched, and with a filter it refuses.
        searched = {"q": getattr(row, "business_code", None) or str(row)}
        queries = ({}, searched, *([refused_filter(case.spec)] if refused_filter(case.spec) else []))
        for query in queries if expected == 200 else ({},):
            listing = client.get(case.url("list"), query, headers=HTMX_RESULTS) if expected == 200 else None
            for fmt in ("xlsx", "csv") if query == {} else ("csv",):
                response = client.get(case.url("export"), {**query, "format": fmt})
                if expected == 200 and not listing.context["filters_valid"]:
                    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
                    continue
                assert response.status_code == expected
                if expected == 200:
                    rows, listed = file_rows(response.content, fmt), listing.context["table"].rows
                    assert rows[0] == header and case.keys(file=rows) == case.keys(r.obj for r in listed)
        for fmt in ("xlsx", "csv"):
            response = client.get(case.url("template"), {"format": fmt})
            assert response.status_code == case.expect(user, "view")
            if response.status_code == 200:
                assert file_rows(response.content, fmt) == [header]

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_import_of_the_export_changes_nothing(self, case, cast, as_role):
        (user, client), spec = as_role, case.spec
        case.rows(cast, user, "change")
        visible = spec.queryset_for(user)
        may_import = user.has_perms([spec.perm("add"), spec.perm("change")])
        assert client.get(case.url("import")).status_code == (200 if may_import else 403)
        if not may_import:
            file = SimpleUploadedFile("rows.csv", write_csv(case.transfer, visible)[0])
            assert client.post(case.url("import"), {"file": file}).status_code == 403
            return
        entries = AuditEntry.objects.count()
        for fmt, write in (("xlsx", write_xlsx), ("csv", write_csv)):
            response = client.get(case.url("export"), {"format": fmt})
            # May import but not export: the file as the user keeps it elsewhere.
            content = response.content if response.status_code == 200 else write(case.transfer, visible)[0]
            file = SimpleUploadedFile(f"rows.{fmt}", content)
            result = client.post(case.url("import"), {"file": file}).context["result"]
            assert (result.errors, result.created, result.updated, result.unchanged) == ([], 0, 0, visible.count())
            assert AuditEntry.objects.count() == entries
        # A new row in the template's columns is created as on the add page.
        values, before = case.values(cast), case.pks()
        header = file_rows(client.get(case.url("template"), {"format": "csv"}).content, "csv")[0]
        row = [import_cell(values.get(column.name)) for column in case.transfer.bound_columns]
        result = client.post(case.url("import"), {"file": upload([header, row])}).context["result"]
        assert (result.errors, result.created) == ([], 1)
        (obj,) = spec.model.objects.exclude(pk__in=before)
        assert_values(obj, values)
        assert audit_entries(spec.model, AuditAction.CREATE, obj).get().note == "import"

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_api_reads(self, case, role, cast, client, client_for):
        user = getattr(cast, role)
        api = api_as(client, user)
        rows = case.rows(cast, user, "view")
        response = api.get(case.api())
        assert response.status_code == case.expect(user, "view")
        if response.status_code == 200:
            body = response.json()
            visible = set(case.spec.queryset_for(user).values_list("pk", flat=True))
            assert set(body) == {"count", "items"} and body["count"] == len(visible)
            assert {item["id"] for item in body["items"]} == visible
        for obj in [*rows, case.spec.model(pk=10**9)]:
            response = api.get(case.api(obj))
            assert response.status_code == case.expect(user, "view", obj)
            body = response.json()
            if response.status_code != 200:
                assert body["detail"]
                continue
            assert body["id"] == obj.pk and {"created", "last_updated"} <= set(body)
            if case.has_code:  # the business code works wherever an id does
                assert api.get(case.api(obj, by_code=True)).json() == body
        assert case.has_code == bool(getattr(case.spec.model, "code_field", None))
        # The browser's session reads the same as the token.
        session = Api(client_for(user))
        assert session.get(case.api(rows[0])).json() == api.get(case.api(rows[0])).json()

    @pytest.mark.parametrize("role", ROLE_CODES)
    def test_api_writes(self, case, role, cast, client):
        user, model = getattr(cast, role), case.spec.model
        api, values, before = api_as(client, user), case.values(cast), case.pks()
        response = api.post(case.api(), api_body(values))
        assert response.status_code == case.expect(user, "add", ok=201), response.content
        new = list(model.objects.exclude(pk__in=before))
        assert len(new) == (response.status_code == 201)
        if new:
            body = response.json()
            assert body["id"] == new[0].pk and {"created", "last_updated"} <= set(body)
            assert_values(new[0], values)
            assert audit_entries(model, AuditAction.CREATE, new[0]).get().actor == user
        for obj in case.rows(cast, user, "change"):  # named by business code where there is one
            before = snapshot(obj)
            response = api.patch(case.api(obj, by_code=case.has_code), api_body(case.update))
            assert response.status_code == case.expect(user, "change", obj), response.content
            updates = audit_entries(model, AuditAction.UPDATE, obj)
            if response.status_code == 200:
                assert_values(obj, case.update)
                assert updates.get().changes.keys() >= case.update.keys()
            else:
                obj.refresh_from_db()
                assert snapshot(obj) == before and not updates.exists()
        for obj, in_use in case.deletable_rows(cast, user):  # 409 while other records use the row
            expected = case.expect(user, "delete", obj, ok=409 if in_use else 204)
            assert api.delete(case.api(obj)).status_code == expected
            gone = not model.objects.filter(pk=obj.pk).exists()
            assert gone == (expected == 204) == audit_entries(model, AuditAction.DELETE, obj).exists()

    @pytest.mark.parametrize("where", ["page", "api"])
    def test_list_queries_do_not_grow_with_the_rows(self, case, where, cast, client, client_for):
        if where == "page":
            client, url = client_for(cast.system_admin), case.url("list")
        else:
            client, url = api_as(client, cast.system_admin), case.api()
        for n in range(2):
            case.make(cast, n)
        client.get(url)  # first use: caches, the token's last_used
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        for n in range(2, 12):
            case.make(cast, n)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        shown = response.context["table"].rows if where == "page" else response.json()["items"]
        assert len(shown) >= 12
        assert len(many) == len(few), "\n".join(query["sql"] for query in many.captured_queries)

    @only_cases(lambda case: case.scope is not None)
    def test_a_contractor_manager_sees_only_its_companys_rows(self, case, cast, client, client_for):
        user, model = cast.contractor_manager, case.spec.model
        own, foreign = case.scope(cast)
        pages, api = client_for(user), api_as(client, user)
        listed = [row.obj for row in pages.get(case.url("list")).context["table"].rows]
        assert own in listed and foreign not in listed
        assert {case.company_of(obj) for obj in listed} == {cast.contractor}
        items = [model.objects.get(pk=item["id"]) for item in api.get(case.api()).json()["items"]]
        assert own in items and {case.company_of(obj) for obj in items} == {cast.contractor}
        assert pages.get(case.url("detail", foreign)).status_code == 404
        # Another company's row answers exactly like a row that does not exist.
        assert api.get(case.api(foreign)).json() == api.get(case.api(model(pk=10**9))).json()
        assert api.get(case.api(foreign)).status_code == 404


# --- spreadsheets opened by a real spreadsheet program ----------------------------------------------

needs_libreoffice = pytest.mark.skipif(
    not shutil.which("soffice"), reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
)


def convert_with_libreoffice(content: bytes, tmp_path, name: str = "workbook.xlsx") -> bytes:
    """Convert a workbook to PDF with headless LibreOffice (a profile of its own, so parallel test
    workers do not share one) and return the PDF: proof that a real spreadsheet program opens it."""
    source = tmp_path / name
    source.write_bytes(content)
    outdir = tmp_path / "converted"
    subprocess.run(
        [
            shutil.which("soffice"),
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    return (outdir / source.with_suffix(".pdf").name).read_bytes()
