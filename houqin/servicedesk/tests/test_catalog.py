"""The service catalog: its pages, files and API through the generic machinery (the matrix of
houqin/core/testing.py, every role of the cast), and the service-level targets per priority."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import FieldDoesNotExist
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from houqin.core import testing as generic
from houqin.core.models import AuditAction
from houqin.core.testing import ModelCase, ModelMatrix, audit_entries, file_rows
from houqin.core.tests.apiclient import api_as
from houqin.core.transfer import get_transfer
from houqin.org.tests.factories import TeamFactory
from houqin.servicedesk import specs
from houqin.servicedesk.forms import SLA_FIELDS, ServiceCategoryForm
from houqin.servicedesk.models import DEFAULT_SLA_MINUTES, Priority, ServiceCategory, SlaTarget
from houqin.servicedesk.tests.factories import ServiceCategoryFactory

SPEC = specs.SERVICE_CATEGORY


def csv_upload(header: list[str], rows: list[list[str]]) -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    return SimpleUploadedFile("catalog.csv", buffer.getvalue().encode("utf-8-sig"))


def make_category(cast, n):
    group = ServiceCategoryFactory(name=f"维修{n}", icon="tools")
    category = ServiceCategoryFactory(
        parent=group,
        name_en="Lifts",
        icon="arrow-down-up",
        default_team=TeamFactory(company=cast.hospital),
        weight=Decimal("2.00"),
    )
    SlaTarget.objects.create(
        category=category, priority=Priority.URGENT, response_minutes=3, arrival_minutes=10, completion_minutes=60
    )
    return category


def category_values(cast):
    ServiceCategoryFactory(code="WX", name="维修")
    TeamFactory(code="SDWX", company=cast.hospital)
    return {
        "code": "WX-DQ",
        "name": "电气",
        "name_en": "Electrical",
        "parent": "WX",
        "icon": "lightning-charge",
        "default_team": "SDWX",
        "default_priority": "high",
        "weight": Decimal("1.50"),
        "hold_excluded": True,
        "auto_close_hours": 48,
        "auto_dispatch": False,
        "is_complaint": False,
        "followup_sample_percent": 20,
        "requires_location": True,
        "sort_order": 3,
    }


CASE = ModelCase(
    SPEC,
    make_category,
    category_values,
    update={"name": "强电", "weight": Decimal("2.50"), "followup_sample_percent": 50},
    protect=lambda category: ServiceCategoryFactory(parent=category),
)


class _ModelFieldsOnly:
    """A spec seen through its model fields only, for the generic helpers that read every form
    field from the model: the twelve targets are the form's own, and leaving them out of a post
    means "keep the stored targets"."""

    def __init__(self, spec):
        self.model = spec.model
        fields = {}
        for name, field in spec.form_class.base_fields.items():
            try:
                spec.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            fields[name] = field
        self.form_class = type("Fields", (), {"base_fields": fields})


_original_form_post = generic.form_post
_original_stored_values = generic.stored_form_values


class TestServiceCatalog(ModelMatrix):
    cases = (CASE,)

    @pytest.fixture(autouse=True)
    def _targets_are_not_model_fields(self, monkeypatch):
        monkeypatch.setattr(
            generic, "form_post", lambda spec, values: _original_form_post(_ModelFieldsOnly(spec), values)
        )
        monkeypatch.setattr(
            generic, "stored_form_values", lambda obj, spec: _original_stored_values(obj, _ModelFieldsOnly(spec))
        )


# --- the targets --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def post_of(category) -> dict:
    """What the edit page posts back unchanged: every field, the twelve targets included."""
    form = ServiceCategoryForm(instance=ServiceCategory.objects.get(pk=category.pk))
    post = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        post[name] = "on" if value is True else str(value)
    return post


@pytest.fixture
def category(cast):
    return ServiceCategoryFactory(code="WX-DT", name="电梯", parent=ServiceCategoryFactory(code="WX", name="维修"))


def test_the_edit_page_shows_the_targets_as_a_table_and_saves_them(cast, client_for, category):
    client = client_for(cast.system_admin)
    url = reverse("servicedesk:servicecategory_edit", args=[category.pk])
    page = client.get(url).content.decode()
    for _priority, _target, name in SLA_FIELDS:
        assert f'name="{name}"' in page
    post = post_of(category) | {"urgent_response_minutes": "3", "urgent_arrival_minutes": "10"}
    post["urgent_completion_minutes"] = "60"
    response = client.post(url, post)
    assert response.status_code == 302, response.context["form"].errors
    category.refresh_from_db()
    assert category.targets(Priority.URGENT) == (3, 10, 60)
    assert category.targets(Priority.NORMAL) == DEFAULT_SLA_MINUTES[Priority.NORMAL]
    assert list(category.sla_targets.values_list("priority", flat=True)) == [Priority.URGENT]
    entry = audit_entries(ServiceCategory, AuditAction.UPDATE).get(object_id=str(category.pk))
    assert entry.actor == cast.system_admin and entry.changes["sla_targets"][1].endswith("3 / 10 / 60")
    detail = client.get(reverse("servicedesk:servicecategory_detail", args=[category.pk])).content.decode()
    assert "60" in detail and "Service level targets" in detail


def test_it_refuses_targets_that_shrink_and_names_the_field(cast, client_for, category):
    client = client_for(cast.system_admin)
    post = post_of(category) | {"normal_response_minutes": "40", "normal_arrival_minutes": "30"}
    response = client.post(reverse("servicedesk:servicecategory_edit", args=[category.pk]), post)
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["normal_arrival_minutes"]
    assert "at least the response target (40 min)" in form.errors["normal_arrival_minutes"][0]
    assert not SlaTarget.objects.exists()


def test_it_refuses_a_completion_shorter_than_the_arrival(cast, category):
    form = ServiceCategoryForm(post_of(category) | {"low_completion_minutes": "100"}, instance=category, user=None)
    assert not form.is_valid() and list(form.errors) == ["low_completion_minutes"]


def test_an_empty_target_means_the_default_and_the_defaults_store_no_row(cast, client_for, category):
    SlaTarget.objects.create(
        category=category, priority=Priority.HIGH, response_minutes=5, arrival_minutes=15, completion_minutes=120
    )
    client = client_for(cast.system_admin)
    post = post_of(category) | {"high_response_minutes": "", "high_arrival_minutes": "", "high_completion_minutes": ""}
    assert client.post(reverse("servicedesk:servicecategory_edit", args=[category.pk]), post).status_code == 302
    assert not SlaTarget.objects.filter(category=category).exists()
    assert category.targets(Priority.HIGH) == DEFAULT_SLA_MINUTES[Priority.HIGH]


def test_the_api_reads_every_priority_and_keeps_targets_it_is_not_sent(cast, client, category):
    SlaTarget.objects.create(
        category=category, priority=Priority.URGENT, response_minutes=3, arrival_minutes=10, completion_minutes=60
    )
    api = api_as(client, cast.system_admin)
    body = api.get("/service-categories/WX-DT").json()
    assert body["sla_targets"]["urgent"] == {
        "response_minutes": 3,
        "arrival_minutes": 10,
        "completion_minutes": 60,
        "default": False,
    }
    assert body["sla_targets"]["low"]["default"] is True and body["parent"]["code"] == "WX"
    assert api.patch("/service-categories/WX-DT", {"name": "直梯"}).status_code == 200
    assert ServiceCategory.objects.get(pk=category.pk).targets(Priority.URGENT) == (3, 10, 60)
    response = api.patch("/service-categories/WX-DT", {"high_response_minutes": 4, "high_arrival_minutes": 2})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["high_arrival_minutes"]
    response = api.patch("/service-categories/WX-DT", {"urgent_response_minutes": None, "low_response_minutes": 100})
    assert response.status_code == 200, response.content
    assert response.json()["sla_targets"]["urgent"]["response_minutes"] == 5
    assert response.json()["sla_targets"]["low"]["response_minutes"] == 100


def test_an_import_changes_a_target_and_refuses_a_shrinking_one(cast, client_for, category):
    SlaTarget.objects.create(
        category=category, priority=Priority.URGENT, response_minutes=3, arrival_minutes=10, completion_minutes=60
    )
    client = client_for(cast.system_admin)
    rows = file_rows(client.get(reverse("servicedesk:servicecategory_export"), {"format": "csv"}).content, "csv")
    header = rows[0]
    urgent_completion = next(
        c.label
        for c in get_transfer("servicedesk", "servicecategory").bound_columns
        if c.name == "urgent_completion_minutes"
    )
    column = header.index(urgent_completion)
    row = next(r for r in rows[1:] if r[0] == "WX-DT")
    assert row[column] == "60"
    row[column] = "90"
    url = reverse("servicedesk:servicecategory_import")
    result = client.post(url, {"file": csv_upload(header, [row])}).context["result"]
    assert (result.errors, result.updated) == ([], 1)
    assert ServiceCategory.objects.get(pk=category.pk).targets(Priority.URGENT) == (3, 10, 90)
    row[column] = "5"
    result = client.post(url, {"file": csv_upload(header, [row])}).context["result"]
    assert result.updated == 0 and [(e.row, e.column) for e in result.errors] == [(2, urgent_completion)]
    assert ServiceCategory.objects.get(pk=category.pk).targets(Priority.URGENT) == (3, 10, 90)


def test_an_import_without_the_target_columns_keeps_the_targets(cast, client_for, category):
    SlaTarget.objects.create(
        category=category, priority=Priority.URGENT, response_minutes=3, arrival_minutes=10, completion_minutes=60
    )
    upload = csv_upload(["code", "name"], [["WX-DT", "扶梯"]])
    result = client_for(cast.system_admin).post(reverse("servicedesk:servicecategory_import"), {"file": upload})
    assert (result.context["result"].errors, result.context["result"].updated) == ([], 1)
    category = ServiceCategory.objects.get(pk=category.pk)
    assert category.name == "扶梯" and category.targets(Priority.URGENT) == (3, 10, 60)


def test_an_empty_auto_close_cell_means_never(cast, client_for, category):
    upload = csv_upload(["code", "name", "auto_close_hours"], [["WX-DT", "电梯", ""]])
    client_for(cast.system_admin).post(reverse("servicedesk:servicecategory_import"), {"file": upload})
    assert ServiceCategory.objects.get(pk=category.pk).auto_close_hours is None


def test_the_template_explains_the_target_columns(cast, client_for):
    response = client_for(cast.system_admin).get(reverse("servicedesk:servicecategory_template"), {"format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    text = " ".join(str(c) for row in book.worksheets[1].iter_rows(values_only=True) for c in row if c)
    assert "Empty: the default, 5 minutes." in text


def test_a_group_stays_one_level_deep(cast, category):
    group = category.parent
    other = ServiceCategoryFactory(code="BJ", name="保洁")
    form = ServiceCategoryForm(post_of(other) | {"parent": category.code}, instance=other, user=cast.system_admin)
    assert not form.is_valid() and "parent" in form.errors  # 电梯 is in a group: not a group itself
    form = ServiceCategoryForm(post_of(group) | {"parent": "BJ"}, instance=group, user=cast.system_admin)
    assert not form.is_valid() and "cannot be placed in another group" in form.errors["parent"][0]


def test_it_cleans_a_copied_icon_class(cast, category):
    form = ServiceCategoryForm(post_of(category) | {"icon": "bi bi-lightning"}, instance=category, user=None)
    assert form.is_valid() and form.cleaned_data["icon"] == "lightning"
    form = ServiceCategoryForm(post_of(category) | {"icon": "<b>x</b>"}, instance=category, user=None)
    assert not form.is_valid() and list(form.errors) == ["icon"]


def test_the_sidebar_offers_the_catalog(cast, client_for, category):
    page = client_for(cast.system_admin).get(reverse("servicedesk:servicecategory_list")).content.decode()
    assert 'href="/servicedesk/catalog/"' in page and "Service catalog" in page
    listed = client_for(cast.department_user).get(reverse("servicedesk:servicecategory_list"))
    assert listed.status_code == 200 and category in [row.obj for row in listed.context["table"].rows]


def test_the_list_filters_groups_and_categories(cast, client_for, category):
    client = client_for(cast.system_admin)
    groups = client.get(reverse("servicedesk:servicecategory_list"), {"level": "group"}).context["table"].rows
    leaves = client.get(reverse("servicedesk:servicecategory_list"), {"level": "category"}).context["table"].rows
    assert [row.obj.code for row in groups] == ["WX"] and [row.obj.code for row in leaves] == ["WX-DT"]


def test_an_export_reimport_of_xlsx_keeps_the_targets(cast, client_for, category):
    SlaTarget.objects.create(
        category=category, priority=Priority.LOW, response_minutes=60, arrival_minutes=240, completion_minutes=2880
    )
    client = client_for(cast.system_admin)
    content = client.get(reverse("servicedesk:servicecategory_export"), {"format": "xlsx"}).content
    result = client.post(
        reverse("servicedesk:servicecategory_import"), {"file": SimpleUploadedFile("catalog.xlsx", content)}
    ).context["result"]
    assert (result.errors, result.unchanged) == ([], 2)
    assert ServiceCategory.objects.get(pk=category.pk).targets(Priority.LOW) == (60, 240, 2880)


def test_a_deadline_follows_the_category_targets(cast, category):
    from houqin.servicedesk import services

    SlaTarget.objects.create(
        category=category, priority=Priority.URGENT, response_minutes=3, arrival_minutes=10, completion_minutes=60
    )
    order = services.create_work_order(
        category=category, description="困人", by=cast.agent, priority=Priority.URGENT, accept=True
    )
    assert order.completion_due - order.created == datetime.timedelta(minutes=60)
