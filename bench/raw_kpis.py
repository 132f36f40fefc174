"""The KPIs of houqin/insight/kpis.py written by hand in SQL, for PostgreSQL and SQLite: the
baselines of bench/test_kpis.py. Each function answers exactly what its kpis counterpart answers
(the same figures, shaped by the same helpers of kpis.py), from the fewest and plainest queries a
person would write for the figure, so that the benchmark's ratio is what the ORM and the module's
generality cost.

The SQL differs between the backends in three places only: minutes between two times, the
continuous percentile (PostgreSQL's percentile_cont; on SQLite the houqin_percentile aggregate
that houqin registers on every connection) and the local day of a time."""

import datetime
import json
import math

from django.db import connection
from django.utils import timezone

from houqin.insight import kpis
from houqin.insight.measures import percentile_of_sorted
from houqin.insight.periods import Period
from houqin.servicedesk.models import OPEN_STATUSES, Channel

W = "servicedesk_workorder"
C = "servicedesk_servicecategory"


# --- the dialects ---------------------------------------------------------------------------------


def postgres() -> bool:
    return connection.vendor == "postgresql"


def minutes(start: str, end: str) -> str:
    if postgres():
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"
    return f"((julianday({end}) - julianday({start})) * 1440.0)"


def pct(expression: str, fraction: float) -> str:
    if postgres():
        return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {expression})"
    return f"houqin_percentile({expression}, {fraction})"


def local_day(column: str) -> str:
    """The local date of a time. SQLite keeps times as UTC text: the zone's offset is added (the
    hospital's zone, Asia/Shanghai, has had no daylight saving since 1991)."""
    zone = timezone.get_default_timezone()
    if postgres():
        return f"({column} AT TIME ZONE '{zone.key}')::date"
    offset = datetime.datetime(2026, 1, 1, tzinfo=zone).utcoffset()
    # The whole seconds: SQLite would round a fraction to milliseconds, 23:59:59.9995 to midnight.
    return f"date(substr({column}, 1, 19), '{int(offset.total_seconds() // 60):+d} minutes')"


def days_before(column: str, days: int) -> str:
    if postgres():
        return f"({column} - interval '{days} days')"
    # Whole days off a UTC time leave its time of day, fraction of a second included, unchanged.
    # (%% as the query has parameters.)
    shifted = f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', substr({column}, 1, 19), '-{days} days')"
    return f"({shifted} || substr({column}, 20))"


def day_value(value):
    """A local day as the database answers it (SQLite: text)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def param(moment: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_dicts(sql: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def statuses() -> str:
    return ", ".join(f"'{status}'" for status in OPEN_STATUSES)


# --- the pieces of SQL ------------------------------------------------------------------------------

RESPONSE = lambda: minutes("w.created", "w.dispatched_at")  # noqa: E731
ARRIVAL = lambda: minutes("w.created", "w.arrived_at")  # noqa: E731
ANSWERED = "c.is_complaint AND w.closed_at IS NOT NULL AND w.answer <> ''"


def completion() -> str:
    return f"({minutes('w.created', 'w.completed_at')} - CASE WHEN c.hold_excluded THEN w.held_minutes ELSE 0 END)"


LATE = "(w.dispatched_at > w.response_due OR w.arrived_at > w.arrival_due OR w.completed_at > w.completion_due)"


def created_columns() -> str:
    response, arrival = RESPONSE(), ARRIVAL()
    return f"""COUNT(*) AS volume,
        COUNT(w.dispatched_at) AS response_count, AVG({response}) AS response_avg,
        {pct(response, 0.5)} AS response_median, {pct(response, 0.9)} AS response_p90,
        COUNT(w.arrived_at) AS arrival_count, AVG({arrival}) AS arrival_avg,
        {pct(arrival, 0.5)} AS arrival_median, {pct(arrival, 0.9)} AS arrival_p90,
        COUNT(*) FILTER (WHERE c.is_complaint) AS complaints,
        COUNT(*) FILTER (WHERE {ANSWERED}) AS answered,
        AVG({minutes("w.created", "w.closed_at")}) FILTER (WHERE {ANSWERED}) AS answer_avg"""


def completed_columns(with_points: bool = True) -> str:
    done = completion()
    points = (
        ", COALESCE(SUM(c.weight * w.difficulty) FILTER (WHERE w.assignee_id IS NOT NULL), 0) AS points"
        if with_points
        else ""
    )
    # A comparison with a missing time is NULL, never true: COUNT(*) FILTER (WHERE late) counts the late.
    return f"""COUNT(*) AS completed, COUNT(*) AS completion_count, AVG({done}) AS completion_avg,
        {pct(done, 0.5)} AS completion_median, {pct(done, 0.9)} AS completion_p90,
        COUNT(*) - COUNT(*) FILTER (WHERE {LATE}) AS on_time,
        COUNT(w.followed_up_at) AS followed_up, COUNT(w.rating) AS rated, AVG(w.rating) AS rating_avg,
        COUNT(*) FILTER (WHERE w.rating >= 4) AS satisfied,
        COUNT(*) FILTER (WHERE w.rework_count > 0) AS reworked,
        COUNT(*) FILTER (WHERE w.rework_count = 0 AND NOT w.held_for_parts) AS first_time_fix{points}"""


def overdue(moment: str) -> str:
    return f"""(w.completion_due < {moment}
        OR (w.response_due < {moment} AND (w.dispatched_at IS NULL OR w.dispatched_at >= {moment}))
        OR (w.arrival_due < {moment} AND (w.arrived_at IS NULL OR w.arrived_at >= {moment})))"""


def open_at(moment: str) -> str:
    # Each branch with its own "created before": SQLite reads three small index ranges, not every
    # order created before the moment.
    return f"""((w.created < {moment} AND w.status IN ({statuses()}))
        OR (w.created < {moment} AND w.completed_at >= {moment})
        OR (w.created < {moment} AND w.cancelled_at >= {moment}))"""


def repeat() -> str:
    return f"""EXISTS (SELECT 1 FROM {W} e WHERE e.location_id = w.location_id AND e.category_id = w.category_id
        AND e.created < w.created AND e.created >= {days_before("w.created", kpis.REPEAT_WINDOW.days)}
        AND e.duplicate_of_id IS NULL)"""


CREATED_IN = "w.created >= %(start)s AND w.created < %(end)s"
COMPLETED_IN = "w.completed_at >= %(start)s AND w.completed_at < %(end)s"


def period_params(period: Period) -> dict:
    return {"start": param(period.start), "end": param(period.end)}


# --- the figures ---------------------------------------------------------------------------------------


def summary(period: Period, now: datetime.datetime) -> dict:
    """kpis.summary over every order."""
    params = period_params(period)
    (created,) = fetch_dicts(
        f"SELECT {created_columns()} FROM {W} w JOIN {C} c ON c.id = w.category_id WHERE {CREATED_IN}", params
    )
    ((orders, repeats),) = fetch(
        f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE {repeat()}) FROM {W} w
        WHERE {CREATED_IN} AND w.location_id IS NOT NULL AND w.duplicate_of_id IS NULL""",
        params,
    )
    (completed,) = fetch_dicts(
        f"SELECT {completed_columns()} FROM {W} w JOIN {C} c ON c.id = w.category_id WHERE {COMPLETED_IN}", params
    )
    ((open_orders, overdue_orders),) = fetch(
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {overdue('%(moment)s')}) FROM {W} w WHERE {open_at('%(moment)s')}",
        {"moment": param(kpis.cutoff(period, now))},
    )
    figures = {
        **kpis._created_figures(created, repeats, orders),
        **kpis._completed_figures(completed),
        "backlog": {"open": open_orders, "overdue": overdue_orders},
    }
    labels = dict(Channel.choices)
    figures["volume"]["by_channel"] = [
        {"key": channel, "label": str(labels.get(channel, channel)), "count": count}
        for channel, count in fetch(
            f"SELECT w.channel, COUNT(*) FROM {W} w WHERE {CREATED_IN} GROUP BY w.channel ORDER BY 2 DESC, 1", params
        )
    ]
    figures["volume"]["by_category"] = [
        {"key": code, "label": name, "label_en": name_en, "group": group or name, "count": count}
        for code, name, name_en, group, count in fetch(
            f"""SELECT c.code, c.name, c.name_en, p.name, COUNT(*) FROM {W} w JOIN {C} c ON c.id = w.category_id
            LEFT JOIN {C} p ON p.id = c.parent_id WHERE {CREATED_IN}
            GROUP BY c.code, c.name, c.name_en, p.name ORDER BY 5 DESC, 1""",
            params,
        )
    ]
    return figures


def daily(period: Period) -> list[dict]:
    """kpis.daily over every order."""
    params = period_params(period)
    created = fetch_dicts(
        f"""SELECT {local_day("w.created")} AS day, {created_columns()} FROM {W} w JOIN {C} c ON c.id = w.category_id
        WHERE {CREATED_IN} GROUP BY 1""",
        params,
    )
    completed = fetch_dicts(
        f"""SELECT {local_day("w.completed_at")} AS day, {completed_columns(with_points=False)}
        FROM {W} w JOIN {C} c ON c.id = w.category_id WHERE {COMPLETED_IN} GROUP BY 1""",
        params,
    )
    by_created = {day_value(row["day"]): row for row in created}
    by_completed = {day_value(row["day"]): row for row in completed}
    series = []
    for day in period.dates():
        made, done = by_created.get(day), by_completed.get(day)
        completed_count = done["completed"] if done else 0
        series.append(
            {
                "date": day.isoformat(),
                "volume": made["volume"] if made else 0,
                "response_time": kpis._times(made, "response") if made else kpis._empty_times(),
                "completed": completed_count,
                "completion_time": kpis._times(done, "completion") if done else kpis._empty_times(),
                "on_time_rate": kpis._rate(done["on_time"], completed_count) if done else None,
                "satisfaction": kpis._round(done["rating_avg"], 2) if done else None,
                "satisfied_share": kpis._rate(done["satisfied"], done["rated"]) if done else None,
            }
        )
    return series


def by_team(period: Period, now: datetime.datetime) -> list[dict]:
    """kpis.by_team over every order."""
    params = period_params(period)
    teams = {
        row["team"]: row
        for row in fetch_dicts(
            f"""SELECT w.team_id AS team, t.code AS team__code, t.name AS team__name, {completed_columns()}
            FROM {W} w JOIN {C} c ON c.id = w.category_id JOIN org_team t ON t.id = w.team_id
            WHERE {COMPLETED_IN} GROUP BY w.team_id, t.code, t.name""",
            params,
        )
    }
    # SQLite would group by reading the whole table in team order: the ids first, there.
    open_then = open_at("%(moment)s")
    if not postgres():
        open_then = f"w.id IN (SELECT w.id FROM {W} w WHERE {open_then})"
    backlog = {
        row["team"]: row
        for row in fetch_dicts(
            f"""SELECT w.team_id AS team, t.code AS team__code, t.name AS team__name, COUNT(*) AS open,
            COUNT(*) FILTER (WHERE {overdue("%(moment)s")}) AS overdue
            FROM {W} w JOIN org_team t ON t.id = w.team_id WHERE {open_then}
            GROUP BY w.team_id, t.code, t.name""",
            {"moment": param(kpis.cutoff(period, now))},
        )
    }
    result = []
    for team_id in sorted(set(teams) | set(backlog), key=lambda pk: (teams.get(pk) or backlog.get(pk))["team__code"]):
        row = teams.get(team_id)
        open_row = backlog.get(team_id, {"open": 0, "overdue": 0})
        names = row or backlog[team_id]
        result.append(
            {
                "team": {"id": team_id, "code": names["team__code"], "name": names["team__name"]},
                **kpis._completed_figures(row or kpis._zero_completed()),
                "backlog": {"open": open_row["open"], "overdue": open_row["overdue"]},
            }
        )
    return result


def by_worker(period: Period) -> list[dict]:
    """kpis.by_worker over every order."""
    params = period_params(period)
    rows = fetch_dicts(
        f"""SELECT w.assignee_id AS assignee, p.name AS name, p.employee_no AS employee_no, t.name AS team,
        co.name AS company, {completed_columns()}
        FROM {W} w JOIN {C} c ON c.id = w.category_id JOIN org_person p ON p.id = w.assignee_id
        LEFT JOIN org_team t ON t.id = p.team_id JOIN org_company co ON co.id = p.company_id
        WHERE {COMPLETED_IN} GROUP BY w.assignee_id, p.name, p.employee_no, t.name, co.name
        ORDER BY points DESC, p.employee_no""",
        params,
    )
    complaints = dict(
        fetch(
            f"""SELECT w.assignee_id, COUNT(*) FROM {W} w JOIN {C} c ON c.id = w.category_id
            WHERE {CREATED_IN} AND c.is_complaint AND w.assignee_id IS NOT NULL GROUP BY w.assignee_id""",
            params,
        )
    )
    return [
        {
            "worker": {
                "id": row["assignee"],
                "name": row["name"],
                "employee_no": row["employee_no"],
                "team": row["team"],
                "company": row["company"],
            },
            **kpis._completed_figures(row),
            "complaints": complaints.get(row["assignee"], 0),
        }
        for row in rows
    ]


def repeat_locations(period: Period, limit: int = 10) -> list[dict]:
    """kpis.repeat_locations over every order."""
    rows = fetch(
        f"""SELECT w.location_id, l.code, l.full_name, COUNT(*) FROM {W} w JOIN org_location l ON l.id = w.location_id
        WHERE {CREATED_IN} AND w.duplicate_of_id IS NULL AND {repeat()}
        GROUP BY w.location_id, l.code, l.full_name ORDER BY 4 DESC, 2 LIMIT {int(limit)}""",
        period_params(period),
    )
    return [{"location": {"id": pk, "code": code, "name": name}, "count": count} for pk, code, name, count in rows]


def latest_complaints(period: Period, limit: int = 10) -> list[tuple]:
    """The dashboard's list of the period's latest complaints, with what the page shows of them."""
    return fetch(
        f"""SELECT w.id, w.number, w.created, w.description, w.status, w.closed_at, w.answer, c.name, p.name,
        l.full_name, d.name FROM {W} w JOIN {C} c ON c.id = w.category_id LEFT JOIN {C} p ON p.id = c.parent_id
        LEFT JOIN org_location l ON l.id = w.location_id LEFT JOIN org_department d ON d.id = w.department_id
        WHERE {CREATED_IN} AND c.is_complaint ORDER BY w.created DESC, w.id DESC LIMIT {int(limit)}""",
        period_params(period),
    )


# --- the same figures from the daily rollup (insight_dayfigures), by hand -----------------------------

R = "insight_dayfigures"


def concat(column: str) -> str:
    """The values of the rows' JSON arrays (text), joined into one list's inside."""
    inside = f"NULLIF(substr({column}, 2, length({column}) - 2), '')"
    return f"string_agg({inside}, ',')" if postgres() else f"group_concat({inside}, ',')"


def _times(prefix: str, joined: str | None) -> dict:
    values = sorted(json.loads(f"[{joined or ''}]"))
    return {
        f"{prefix}_count": len(values),
        f"{prefix}_avg": math.fsum(values) / len(values) if values else None,
        f"{prefix}_median": percentile_of_sorted(values, 0.5),
        f"{prefix}_p90": percentile_of_sorted(values, 0.9),
    }


def summary_from_rollup(period: Period, now: datetime.datetime) -> dict:
    """kpis.summary over every order, from the rollup rows of the period: the sums in SQL, the
    duration values joined in SQL and parsed once, the medians in Python; the backlog from the
    orders (it is not a sum of days)."""
    days = {"first": period.first, "last": period.last}
    (row,) = fetch_dicts(
        f"""SELECT SUM(volume) AS volume, SUM(complaints) AS complaints, SUM(answered) AS answered,
        SUM(answer_minutes) AS answer_minutes, SUM(repeat_base) AS repeat_base, SUM(repeats) AS repeats,
        SUM(completed) AS completed, SUM(on_time) AS on_time, SUM(followed_up) AS followed_up, SUM(rated) AS rated,
        SUM(rating_sum) AS rating_sum, SUM(satisfied) AS satisfied, SUM(reworked) AS reworked,
        SUM(first_time_fix) AS first_time_fix, SUM(points) AS points,
        {concat("response_minutes")} AS response, {concat("arrival_minutes")} AS arrival,
        {concat("completion_minutes")} AS completion
        FROM {R} WHERE day >= %(first)s AND day <= %(last)s""",
        days,
    )
    row = {
        name: (0 if value is None and name not in ("response", "arrival", "completion") else value)
        for name, value in row.items()
    }
    answered, rated = row["answered"], row["rated"]
    created = {
        "volume": row["volume"],
        **_times("response", row["response"]),
        **_times("arrival", row["arrival"]),
        "complaints": row["complaints"],
        "answered": answered,
        "answer_avg": row["answer_minutes"] / answered if answered else None,
    }
    completed = {
        "completed": row["completed"],
        **_times("completion", row["completion"]),
        "on_time": row["on_time"],
        "followed_up": row["followed_up"],
        "rated": rated,
        "rating_avg": row["rating_sum"] / rated if rated else None,
        "satisfied": row["satisfied"],
        "reworked": row["reworked"],
        "first_time_fix": row["first_time_fix"],
        "points": row["points"],
    }
    ((open_orders, overdue_orders),) = fetch(
        f"SELECT COUNT(*), COUNT(*) FILTER (WHERE {overdue('%(moment)s')}) FROM {W} w WHERE {open_at('%(moment)s')}",
        {"moment": param(kpis.cutoff(period, now))},
    )
    figures = {
        **kpis._created_figures(created, row["repeats"], row["repeat_base"]),
        **kpis._completed_figures(completed),
        "backlog": {"open": open_orders, "overdue": overdue_orders},
    }
    labels = dict(Channel.choices)
    figures["volume"]["by_channel"] = [
        {"key": channel, "label": str(labels.get(channel, channel)), "count": count}
        for channel, count in fetch(
            f"""SELECT channel, SUM(volume) FROM {R} WHERE day >= %(first)s AND day <= %(last)s
            GROUP BY channel HAVING SUM(volume) > 0 ORDER BY 2 DESC, 1""",
            days,
        )
    ]
    figures["volume"]["by_category"] = [
        {"key": code, "label": name, "label_en": name_en, "group": group or name, "count": count}
        for code, name, name_en, group, count in fetch(
            f"""SELECT c.code, c.name, c.name_en, p.name, SUM(r.volume) FROM {R} r JOIN {C} c ON c.id = r.category_id
            LEFT JOIN {C} p ON p.id = c.parent_id WHERE r.day >= %(first)s AND r.day <= %(last)s
            GROUP BY c.code, c.name, c.name_en, p.name HAVING SUM(r.volume) > 0 ORDER BY 5 DESC, 1""",
            days,
        )
    ]
    return figures


def top_workers(period: Period, limit: int) -> list[dict]:
    """kpis.top_workers over every order."""
    rows = fetch_dicts(
        f"""SELECT w.assignee_id AS assignee, p.name AS name, p.employee_no AS employee_no, t.name AS team,
        co.name AS company, COUNT(*) AS completed, COUNT(*) - COUNT(*) FILTER (WHERE {LATE}) AS on_time,
        COALESCE(SUM(c.weight * w.difficulty), 0) AS points
        FROM {W} w JOIN {C} c ON c.id = w.category_id JOIN org_person p ON p.id = w.assignee_id
        LEFT JOIN org_team t ON t.id = p.team_id JOIN org_company co ON co.id = p.company_id
        WHERE {COMPLETED_IN} GROUP BY w.assignee_id, p.name, p.employee_no, t.name, co.name
        ORDER BY points DESC, p.employee_no LIMIT {int(limit)}""",
        period_params(period),
    )
    return [
        {
            "worker": {
                "id": row["assignee"],
                "name": row["name"],
                "employee_no": row["employee_no"],
                "team": row["team"],
                "company": row["company"],
            },
            "completed": {"count": row["completed"]},
            "on_time": {"count": row["on_time"], "rate": kpis._rate(row["on_time"], row["completed"])},
            "workload_points": round(float(row["points"]), 2),
        }
        for row in rows
    ]
