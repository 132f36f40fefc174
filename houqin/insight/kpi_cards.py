"""The KPI page's cards: each figure of houqin.insight.kpis shown for a director, with the
previous period's value, the change (green when it is good news, red when bad, grey when it is
neither) and the smaller numbers behind it, every number linking to the orders it counts."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.http import QueryDict
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from houqin.insight.kpi_query import drill_url
from houqin.insight.periods import Period


def number(value, places: int) -> str:
    """A number with `places` decimals, rounded half up. Django's number_format cuts a float's
    decimals off (95.39999… shows as 95.3), so the value is rounded first: the page then reads as
    the dashboard, the report and the API do."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, places)


def show_count(value) -> str:
    return "—" if value is None else f"{value:,}"


def show_minutes(value) -> str:
    """A duration for a director: minutes under an hour, hours under two days, else days."""
    if value is None:
        return "—"
    value = abs(value)
    if value < 60:
        return _("%(value)s min") % {"value": number(value, 1 if value < 10 else 0)}
    if value < 48 * 60:
        return _("%(value)s h") % {"value": number(value / 60, 1)}
    return _("%(value)s d") % {"value": number(value / 1440, 1)}


def show_rate(value) -> str:
    return "—" if value is None else f"{number(value * 100, 1)}%"


def show_rating(value) -> str:
    return "—" if value is None else number(value, 2)


def show_points(value) -> str:
    return "—" if value is None else f"{value:,.1f}"


@dataclass(frozen=True)
class Headline:
    """How a card reads its main number from a period's figures, shows it, and compares it."""

    read: Callable[[dict], float | None]
    show: Callable
    kind: str  # "count", "minutes", "rate" or "rating": how a change is written
    better: str  # "up", "down" or "" (neither: volume, workload)


def change(current, previous, headline: Headline) -> dict | None:
    """The change from the previous period: arrow, text, and whether it is good news."""
    if current is None or previous is None:
        return None
    diff = current - previous
    if headline.kind == "rate":
        diff = round(diff * 100, 1)
        text = _("%(value)s pp") % {"value": number(abs(diff), 1)}
    elif headline.kind == "rating":
        diff = round(diff, 2)
        text = number(abs(diff), 2)
    elif headline.kind == "minutes":
        diff = round(diff, 1)
        text = show_minutes(diff)
    else:
        diff = round(diff, 1)
        text = show_count(abs(diff))
    if headline.kind in ("count", "minutes") and previous:
        text += f" ({number(abs(diff) / previous * 100, 1)}%)"
    if diff == 0:
        return {"arrow": "=", "text": _("no change"), "tone": "flat", "meaning": ""}
    rising = diff > 0
    if not headline.better:
        tone, meaning = "flat", ""
    elif rising == (headline.better == "up"):
        tone, meaning = "good", _("better than the previous period")
    else:
        tone, meaning = "bad", _("worse than the previous period")
    return {"arrow": "▲" if rising else "▼", "text": text, "tone": tone, "meaning": meaning}


@dataclass
class Card:
    key: str
    title: str
    value: str
    url: str | None
    help: str
    previous: str
    previous_url: str | None
    change: dict | None
    details: list = field(default_factory=list)  # (label, value, url or None)


def _times(name: str) -> Headline:
    return Headline(lambda k: k[name]["avg"], show_minutes, "minutes", "down")


def _rate(name: str, better: str = "up") -> Headline:
    return Headline(lambda k: k[name]["rate"], show_rate, "rate", better)


HEADLINES = {
    "volume": Headline(lambda k: k["volume"]["count"], show_count, "count", ""),
    "response_time": _times("response_time"),
    "arrival_time": _times("arrival_time"),
    "repeat_faults": Headline(lambda k: k["repeat_faults"]["count"], show_count, "count", "down"),
    "complaints": Headline(lambda k: k["complaints"]["count"], show_count, "count", "down"),
    "completed": Headline(lambda k: k["completed"]["count"], show_count, "count", ""),
    "completion_time": _times("completion_time"),
    "on_time": _rate("on_time"),
    "follow_up": _rate("follow_up"),
    "satisfaction": Headline(lambda k: k["satisfaction"]["average"], show_rating, "rating", "up"),
    "rework": _rate("rework", "down"),
    "first_time_fix": _rate("first_time_fix"),
    "workload_points": Headline(lambda k: k["workload_points"], show_points, "count", ""),
    "backlog": Headline(lambda k: k["backlog"]["open"], show_count, "count", "down"),
    "overdue": Headline(lambda k: k["backlog"]["overdue"], show_count, "count", "down"),
}

# Card → (title, the figure its number drills down to, help).
CARDS = {
    "volume": (gettext_lazy("Orders"), "volume", gettext_lazy("Orders created in the period.")),
    "response_time": (
        gettext_lazy("Response time"),
        "response_time",
        gettext_lazy("Created → dispatched, average; over the orders created in the period and dispatched."),
    ),
    "arrival_time": (
        gettext_lazy("Arrival time"),
        "arrival_time",
        gettext_lazy("Created → arrived on site, average; over the orders created in the period."),
    ),
    "repeat_faults": (
        gettext_lazy("Repeat faults"),
        "repeat_faults",
        gettext_lazy("Same category at the same location within 30 days of a previous order."),
    ),
    "complaints": (
        gettext_lazy("Complaints"),
        "complaints",
        gettext_lazy("Complaint and suggestion orders created in the period."),
    ),
    "completed": (gettext_lazy("Orders completed"), "completion_time", gettext_lazy("Orders completed in the period.")),
    "completion_time": (
        gettext_lazy("Completion time"),
        "completion_time",
        gettext_lazy("Created → completed, average, less time on hold where the category excludes it."),
    ),
    "on_time": (
        gettext_lazy("On-time rate"),
        "on_time",
        gettext_lazy("Completed orders that met every target that applies."),
    ),
    "follow_up": (
        gettext_lazy("Follow-up coverage"),
        "followed_up",
        gettext_lazy("Completed orders the requester rated or was called back on."),
    ),
    "satisfaction": (
        gettext_lazy("Satisfaction"),
        "rated",
        gettext_lazy("Average rating (1–5) of the completed orders; 4 or 5 counts as satisfied."),
    ),
    "rework": (
        gettext_lazy("Rework rate"),
        "reworked",
        gettext_lazy("Completed orders that were reopened at least once."),
    ),
    "first_time_fix": (
        gettext_lazy("First-time fix"),
        "first_time_fix",
        gettext_lazy("Completed orders never reopened and never held for parts."),
    ),
    "workload_points": (
        gettext_lazy("Workload points"),
        "workload",
        gettext_lazy("Category weight × difficulty, summed over the completed orders with a worker."),
    ),
    "backlog": (gettext_lazy("Backlog"), "backlog", gettext_lazy("Orders not yet completed or cancelled.")),
    "overdue": (
        gettext_lazy("Overdue backlog"),
        "overdue",
        gettext_lazy("Open orders past a deadline at that moment."),
    ),
}

SECTIONS = (
    (
        gettext_lazy("Requests created in the period"),
        ("volume", "response_time", "arrival_time", "repeat_faults", "complaints"),
    ),
    (
        gettext_lazy("Work completed in the period"),
        (
            "completed",
            "completion_time",
            "on_time",
            "follow_up",
            "satisfaction",
            "rework",
            "first_time_fix",
            "workload_points",
        ),
    ),
)


def _details(key: str, figures: dict, link) -> list:
    """The smaller numbers of a card: median and p90 of a time, the counts behind a rate."""
    if key in ("response_time", "arrival_time", "completion_time"):
        times = figures[key]
        return [
            (_("median"), show_minutes(times["median"]), None),
            (_("90th percentile"), show_minutes(times["p90"]), None),
            (_("orders measured"), show_count(times["count"]), link(CARDS[key][1])),
        ]
    completed = figures["completed"]["count"]
    if key == "repeat_faults":
        repeat = figures["repeat_faults"]
        return [
            (_("share"), show_rate(repeat["rate"]), None),
            (_("orders with a location"), show_count(repeat["orders"]), None),
        ]
    if key == "complaints":
        complaints = figures["complaints"]
        return [
            (_("answered"), show_count(complaints["answered"]), None),
            (_("average time to answer"), show_minutes(complaints["answer_avg"]), None),
        ]
    if key == "on_time":
        on_time = figures["on_time"]["count"]
        return [
            (_("on-time orders"), show_count(on_time), link("on_time")),
            (_("late orders"), show_count(completed - on_time), link("late")),
        ]
    if key == "follow_up":
        followed = figures["follow_up"]["count"]
        return [
            (_("followed up"), show_count(followed), link("followed_up")),
            (_("not followed up yet"), show_count(completed - followed), link("not_followed_up")),
        ]
    if key == "satisfaction":
        satisfaction = figures["satisfaction"]
        return [
            (_("satisfied (4–5)"), show_rate(satisfaction["satisfied_share"]), None),
            (_("rated"), show_count(satisfaction["rated"]), link("rated")),
            (_("dissatisfied"), show_count(satisfaction["rated"] - satisfaction["satisfied"]), link("dissatisfied")),
        ]
    if key in ("rework", "first_time_fix"):
        return [(_("orders"), show_count(figures[key]["count"]), link(CARDS[key][1]))]
    if key == "overdue":
        backlog = figures["backlog"]
        share = backlog["overdue"] / backlog["open"] if backlog["open"] else None
        return [(_("share of the backlog"), show_rate(share), None)]
    return []


def build_card(key: str, comparison: dict, period: Period, filters: QueryDict) -> Card:
    previous_period = period.previous()
    title, figure, help_text = CARDS[key]
    headline = HEADLINES[key]
    current, previous = headline.read(comparison["kpis"]), headline.read(comparison["previous"])
    return Card(
        key=key,
        title=str(title),
        value=headline.show(current),
        url=drill_url(figure, period, filters),
        help=str(help_text),
        previous=headline.show(previous),
        previous_url=drill_url(figure, previous_period, filters),
        change=change(current, previous, headline),
        details=_details(key, comparison["kpis"], lambda name: drill_url(name, period, filters)),
    )


def volume_tables(comparison: dict, period: Period, filters: QueryDict, limit: int = 10) -> dict:
    """Orders by channel and by category (the largest `limit`), each linking to its orders."""
    volume = comparison["kpis"]["volume"]
    total = volume["count"] or 0

    def rows(items, parameter):
        return [
            {
                "label": item["label"],
                "group": item.get("group"),
                "count": show_count(item["count"]),
                "share": show_rate(item["count"] / total if total else None),
                "url": drill_url("volume", period, filters, **{parameter: item["key"]}),
            }
            for item in items
        ]

    categories = volume["by_category"]
    return {
        "channels": rows(volume["by_channel"], "channel"),
        "categories": rows(categories[:limit], "category"),
        "more_categories": max(len(categories) - limit, 0),
    }


# The drill-down page's title for each figure of kpis.FIGURES: what the listed orders are.
FIGURE_TITLES = {
    "volume": gettext_lazy("Orders created"),
    "response_time": gettext_lazy("Orders dispatched (response time)"),
    "arrival_time": gettext_lazy("Orders arrived at (arrival time)"),
    "completion_time": gettext_lazy("Orders completed"),
    "on_time": gettext_lazy("Orders completed on time"),
    "late": gettext_lazy("Orders completed late"),
    "backlog": gettext_lazy("Open orders (backlog)"),
    "overdue": gettext_lazy("Open orders past a deadline"),
    "followed_up": gettext_lazy("Completed orders followed up"),
    "not_followed_up": gettext_lazy("Completed orders not followed up yet"),
    "rated": gettext_lazy("Completed orders rated"),
    "dissatisfied": gettext_lazy("Completed orders rated below 4"),
    "reworked": gettext_lazy("Completed orders reworked"),
    "first_time_fix": gettext_lazy("Completed orders fixed the first time"),
    "repeat_faults": gettext_lazy("Repeat faults"),
    "complaints": gettext_lazy("Complaints"),
    "workload": gettext_lazy("Completed orders with a worker (workload)"),
}
