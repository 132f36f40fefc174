"""The KPI page (/insight/kpis/) and the orders behind a figure (/insight/kpis/orders/): who may
open them, the figures and their links, the htmx refresh, the scope, paging, the file, and the
number of queries."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from houqin.insight import kpis
from houqin.insight.periods import Period
from houqin.insight.tests.kpi_sample import MARCH, build_march
from houqin.org.tests.factories import UserFactory, in_english
from houqin.servicedesk.models import WorkOrder
from houqin.servicedesk.tests.factories import backdate

KPIS = "/insight/kpis/"
ORDERS = "/insight/kpis/orders/"


@pytest.fixture
def march(cast):
    return build_march(cast)


def test_the_urls_have_their_names():
    assert reverse("insight:kpis") == KPIS
    assert reverse("insight:kpi_orders") == ORDERS
    assert reverse("insight:kpi_orders_export") == ORDERS + "export/"


# ---------------------------------------------------------------------------------------------
# Who may open the pages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["director", "dispatcher", "contractor_manager", "inspector", "auditor"])
@pytest.mark.parametrize("path", [KPIS + "?month=2026-03", ORDERS + "?figure=late&month=2026-03"])
def test_the_figure_roles_open_the_pages(cast, client_for, march, role, path):
    response = client_for(getattr(cast, role)).get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["worker", "department_user", "agent", "outsider"])
@pytest.mark.parametrize("path", [KPIS, ORDERS + "?figure=volume", ORDERS + "export/?figure=volume&format=csv"])
def test_it_refuses_users_without_the_right_to_see_kpis(cast, client_for, role, path):
    assert client_for(getattr(cast, role)).get(path).status_code == 403


@pytest.mark.parametrize("path", [KPIS, ORDERS + "?figure=volume", ORDERS + "export/?figure=volume"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_htmx_refresh_after_the_session_ended_sends_the_whole_page_to_the_login(client, db):
    response = client.get(KPIS, headers={"HX-Request": "true", "HX-Target": "kpi-figures"})
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_the_sidebar_offers_the_kpis_to_those_who_may_see_them(cast, client_for, db):
    assert f'href="{KPIS}"' in client_for(cast.dispatcher).get(reverse("core:home")).content.decode()
    assert f'href="{KPIS}"' not in client_for(cast.worker).get(reverse("core:home")).content.decode()


# ---------------------------------------------------------------------------------------------
# The KPI page
# ---------------------------------------------------------------------------------------------


def test_the_page_shows_every_figure_with_the_previous_period_and_the_change(cast, client_for, march):
    response = client_for(in_english(cast.director)).get(KPIS, {"month": "2026-03"})
    page = response.content.decode()
    cards = {card.key: card for section in response.context["sections"] for card in section["cards"]}
    cards.update({card.key: card for card in response.context["backlog_cards"]})
    assert set(cards) == {
        "volume",
        "response_time",
        "arrival_time",
        "repeat_faults",
        "complaints",
        "completed",
        "completion_time",
        "on_time",
        "follow_up",
        "satisfaction",
        "rework",
        "first_time_fix",
        "workload_points",
        "backlog",
        "overdue",
    }
    assert cards["volume"].value == str(len(march.everything))
    assert cards["volume"].previous == "0"
    # More orders than in February: neither good nor bad news.
    assert cards["volume"].change["arrow"] == "▲" and cards["volume"].change["tone"] == "flat"
    # February has no times to compare with.
    assert cards["response_time"].change is None
    assert [label for label, _value, _url in cards["response_time"].details][:2] == ["median", "90th percentile"]
    assert "2026-03-01 – 2026-03-31" in page
    assert "2026-02-01 – 2026-02-28" in page


def test_each_number_links_to_the_orders_behind_it_with_the_same_period_and_filters(cast, client_for, march):
    page = client_for(cast.director).get(KPIS, {"month": "2026-03", "team": "BJ"}).content.decode()
    for figure in ("volume", "response_time", "late", "dissatisfied", "backlog", "overdue", "workload"):
        assert f'href="{ORDERS}?team=BJ&amp;figure={figure}&amp;month=2026-03"' in page, figure
    # The previous period's value links to the previous period's orders.
    assert f'href="{ORDERS}?team=BJ&amp;figure=volume&amp;month=2026-02"' in page
    # The breakdowns narrow the drill-down to their channel or category.
    assert f'href="{ORDERS}?team=BJ&amp;figure=volume&amp;month=2026-03&amp;channel=phone"' in page


def test_the_changes_are_coloured_by_what_is_good_news(cast, client_for, march):
    client = client_for(cast.director)
    response = client.get(KPIS, {"start": "2026-03-16", "end": "2026-03-31"})
    cards = {card.key: card for section in response.context["sections"] for card in section["cards"]}
    backlog = {card.key: card for card in response.context["backlog_cards"]}
    # 1–15 March: 7 orders, 6 completed; 16–31 March: 2 orders, none completed.
    assert cards["volume"].change["arrow"] == "▼" and cards["volume"].change["tone"] == "flat"
    # A backlog that grows is bad news.
    assert backlog["backlog"].change["arrow"] == "▲" and backlog["backlog"].change["tone"] == "bad"


def test_the_page_refreshes_only_its_figures_for_htmx(cast, client_for, march):
    client = client_for(cast.director)
    response = client.get(
        KPIS,
        {"period": "month", "month": "2026-03", "start": "", "team": "BJ", "site": ""},
        headers={"HX-Request": "true", "HX-Target": "kpi-figures"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and 'id="kpi-filter"' not in page
    assert "kpi-card" in page
    # The address bar shows the query without the form's empty fields.
    assert response["HX-Push-Url"] == f"{KPIS}?team=BJ&month=2026-03"
    # The dates the month stands for, out of band into the bar (not the month being typed in).
    assert 'id="kpi-start"' in page and 'hx-swap-oob="true"' in page
    assert 'id="kpi-month"' not in page


@pytest.mark.parametrize("choice", ["this_month", "last_month", "month"])
def test_the_period_choice_decides(cast, client_for, march, choice):
    this_month = Period.this_month()
    expected = {
        "this_month": this_month,
        "last_month": Period.month_of(this_month.first - datetime.timedelta(days=1)),
        "month": MARCH,
    }
    response = client_for(cast.director).get(
        KPIS, {"period": choice, "month": "2026-03", "start": "2026-01-01", "end": "2026-01-02"}
    )
    assert response.context["period"] == expected[choice]


def test_custom_dates_are_a_period_of_their_own(cast, client_for, march):
    response = client_for(cast.director).get(KPIS, {"period": "custom", "start": "2026-03-02", "end": "2026-03-04"})
    cards = {card.key: card for section in response.context["sections"] for card in section["cards"]}
    assert cards["volume"].value == "3"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"month": "2026-13"}, "month"),
        ({"period": "month"}, "month"),
        ({"period": "custom"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"month": "0001-01"}, "month"),
        # The start alone put the period out of range (the end defaults to it): the start is named.
        ({"start": "9999-12-31"}, "start"),
        ({"end": "1900-01-01"}, "end"),
        ({"start": "1960-01-01", "end": "1960-01-02"}, "start"),
        ({"period": "someday"}, "period"),
        ({"channel": "fax"}, "channel"),
        ({"month": "2026-11\x00"}, "month"),
        ({"start": "\x00"}, "start"),
        ({"location": "\x00"}, "location"),
        ({"month": "9" * 5000}, "month"),
    ],
)
def test_invalid_values_are_named_on_the_page_never_a_server_error(cast, client_for, db, params, parameter):
    response = client_for(cast.director).get(KPIS, params)
    assert response.status_code == 400
    assert parameter in [name for name, _label, _messages in response.context["errors"]]
    assert "kpi-card" not in response.content.decode()


def test_an_htmx_refresh_with_an_invalid_value_is_swapped_in_with_its_message(cast, client_for, db):
    # htmx swaps only 2xx answers: the fragment naming the value must not be a 400.
    response = client_for(in_english(cast.director)).get(
        KPIS, {"month": "2026-13"}, headers={"HX-Request": "true", "HX-Target": "kpi-figures"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and "Enter a month as YYYY-MM." in page


def test_the_figures_are_rounded_not_cut_off(cast, client_for, db):
    # Django's number_format cuts a float's decimals (95.39999… would read 95.3): the KPI page
    # must show what the dashboard and the API round to.
    from houqin.insight.kpi_cards import number, show_minutes, show_rate, show_rating

    assert show_rate(0.954) == "95.4%"
    assert show_rate(0.9535) == "95.4%"
    assert show_rating(4.995) == "5.00"
    assert show_minutes(11.76) == "12 min"
    assert show_minutes(9.96) == "10.0 min"
    assert show_minutes(119.97) == "2.0 h"
    assert number(1.875, 2) == "1.88"


def test_the_filters_never_name_what_lies_outside_the_users_scope(cast, client_for, march):
    # A contractor manager typing another company's employee number must not learn who it is.
    client = client_for(cast.contractor_manager)
    params = {"figure": "volume", "month": "2026-03", "worker": "H001"}
    for url in (KPIS, ORDERS):
        response = client.get(url, params)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "王电工" not in page, url
        assert "H001" in page, url
    own = client.get(ORDERS, {"figure": "volume", "month": "2026-03", "worker": "C001"}).content.decode()
    assert "李保洁" in own


def test_the_filter_bar_has_the_pickers_and_the_choices(cast, client_for, march):
    page = client_for(cast.director).get(KPIS, {"location": "A1", "worker": "C001"}).content.decode()
    assert f'data-picker-url="{reverse("org:location_pick")}"' in page
    assert f'data-picker-url="{reverse("org:person_pick")}"' in page
    # The chosen location and worker are shown by name.
    assert "门诊楼" in page and "李保洁" in page
    assert 'name="channel"' in page and 'name="contractor"' in page and "data-kpi-period" in page
    # No inline script or handler (strict CSP).
    assert "<script>" not in page and "onclick" not in page and "onchange" not in page


def test_a_contractor_managers_page_shows_only_their_companys_figures(cast, client_for, march):
    response = client_for(cast.contractor_manager).get(KPIS, {"month": "2026-03"})
    cards = {card.key: card for section in response.context["sections"] for card in section["cards"]}
    assert cards["volume"].value == str(len(march.cleaning))
    assert cards["complaints"].value == "0"


def test_the_page_costs_a_fixed_number_of_queries(cast, client_for, march, django_assert_max_num_queries):
    client = client_for(cast.contractor_manager)
    params = {"month": "2026-03", "location": "A1", "worker": "C001", "team": "BJ"}
    client.get(KPIS, params)
    # Session, user, rights and scope; the bar's drop-downs and the names of the chosen place and
    # worker; twelve for the figures of two periods; the sidebar's bell.
    with django_assert_max_num_queries(27):
        assert client.get(KPIS, params).status_code == 200
    for order in march.everything:
        copy = WorkOrder.objects.get(pk=order.pk)
        copy.pk, copy.number = None, f"X{order.number}"
        copy.save()
    with django_assert_max_num_queries(27):
        assert client.get(KPIS, params).status_code == 200


# ---------------------------------------------------------------------------------------------
# The orders behind a figure
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "figure", ["volume", "response_time", "late", "backlog", "overdue", "dissatisfied", "repeat_faults", "complaints"]
)
def test_the_drill_down_lists_as_many_orders_as_the_figure_counts(cast, client_for, march, figure):
    response = client_for(cast.director).get(ORDERS, {"figure": figure, "month": "2026-03", "per_page": 200})
    expected = kpis.orders_behind(figure, WorkOrder.objects.all(), MARCH)
    assert response.context["paginator"].count == expected.count() > 0
    page = response.content.decode()
    for order in expected:
        assert f'href="{reverse("servicedesk:order_detail", kwargs={"pk": order.pk})}"' in page


def test_the_drill_down_counts_what_the_page_shows(cast, client_for, march):
    client = client_for(cast.director)
    cards = {
        card.key: card
        for section in client.get(KPIS, {"month": "2026-03"}).context["sections"]
        for card in section["cards"]
    }
    for label, value, url in cards["on_time"].details:
        listed = client.get(url.replace("&amp;", "&"))
        assert str(listed.context["paginator"].count) == value, label


def test_the_drill_down_shows_the_figures_value_of_each_order(cast, client_for, march):
    response = client_for(in_english(cast.director)).get(
        ORDERS, {"figure": "response_time", "month": "2026-03", "sort": "-figure_value"}
    )
    page = response.content.decode()
    assert "response time (min)" in page.lower()
    rows = response.context["table"].rows
    assert [row.obj.figure_value for row in rows] == sorted((row.obj.figure_value for row in rows), reverse=True)


def test_the_drill_down_is_paged(cast, client_for, march):
    client = client_for(cast.director)
    first = client.get(ORDERS, {"figure": "volume", "month": "2026-03", "per_page": 4})
    second = client.get(ORDERS, {"figure": "volume", "month": "2026-03", "per_page": 4, "page": 2})
    assert first.context["paginator"].num_pages == 3
    first_rows = {row.obj.pk for row in first.context["table"].rows}
    second_rows = {row.obj.pk for row in second.context["table"].rows}
    assert len(first_rows) == len(second_rows) == 4 and not first_rows & second_rows
    assert "page=2" in first.content.decode()


def test_a_contractor_managers_drill_down_shows_none_of_another_companys_orders(cast, client_for, march):
    client = client_for(cast.contractor_manager)
    own = client.get(ORDERS, {"figure": "volume", "month": "2026-03"}).content.decode()
    assert all(order.number in own for order in march.cleaning)
    assert not any(order.number in own for order in march.hospital + march.lifts)
    other = client.get(ORDERS, {"figure": "volume", "month": "2026-03", "contractor": cast.other_contractor.code})
    assert other.status_code == 200
    assert other.context["paginator"].count == 0
    assert not any(order.number in other.content.decode() for order in march.everything)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({}, "figure"), ({"figure": "happiness"}, "figure"), ({"figure": "volume", "month": "x"}, "month")],
)
def test_an_invalid_drill_down_answers_400_naming_the_parameter(cast, client_for, db, params, parameter):
    response = client_for(cast.director).get(ORDERS, params)
    assert response.status_code == 400
    assert [name for name, _label, _messages in response.context["errors"]] == [parameter]


def test_the_drill_down_costs_a_fixed_number_of_queries(cast, client_for, march, django_assert_max_num_queries):
    client = client_for(cast.contractor_manager)
    params = {"figure": "completion_time", "month": "2026-03", "team": "BJ", "per_page": 100}
    client.get(ORDERS, params)
    with django_assert_max_num_queries(10):
        assert client.get(ORDERS, params).status_code == 200
    for _ in range(3):
        for order in march.cleaning:
            copy = WorkOrder.objects.get(pk=order.pk)
            copy.pk, copy.number = None, f"X{WorkOrder.objects.count()}"
            copy.save()
            backdate(copy, order.created)
    with django_assert_max_num_queries(10):
        response = client.get(ORDERS, params)
    assert response.context["paginator"].count == 12


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def test_the_file_holds_exactly_the_orders_behind_the_figure(cast, client_for, march):
    client = client_for(cast.director)
    response = client.get(ORDERS + "export/", {"figure": "rated", "month": "2026-03", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kpi-rated-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == set(kpis.orders_behind("rated", WorkOrder.objects.all(), MARCH).values_list("number", flat=True))
    # A description that a spreadsheet would run as a formula is neutralised.
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)


def test_the_excel_file_opens(cast, client_for, march):
    from openpyxl import load_workbook

    response = client_for(cast.contractor_manager).get(
        ORDERS + "export/", {"figure": "volume", "month": "2026-03", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {order.number for order in march.cleaning}


def test_the_file_needs_the_right_to_export(cast, client_for, march):
    reader = UserFactory(username="kpireader")
    reader.user_permissions.add(
        Permission.objects.get(codename="view_kpis"), Permission.objects.get(codename="view_workorder")
    )
    client = client_for(reader)
    page = client.get(ORDERS, {"figure": "volume", "month": "2026-03"})
    assert page.status_code == 200 and not page.context["exports"]
    assert client.get(ORDERS + "export/", {"figure": "volume", "format": "csv"}).status_code == 403
    offered = client_for(cast.director).get(ORDERS, {"figure": "volume", "month": "2026-03"}).context["exports"]
    assert [link["url"].split("format=")[1] for link in offered] == ["xlsx", "csv"]


@pytest.mark.parametrize("params", [{"figure": "nope", "format": "csv"}, {"figure": "volume", "format": "pdf"}])
def test_a_file_of_an_invalid_query_is_refused(cast, client_for, db, params):
    assert client_for(cast.director).get(ORDERS + "export/", params).status_code == 400
