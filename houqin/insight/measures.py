"""Database expressions the KPIs are built from, portable between SQLite and PostgreSQL.

Durations are minutes as floating-point numbers computed in the database, and percentiles are
an aggregate: PostgreSQL has percentile_cont; SQLite gets the same function, written in Python
and registered on every new connection, so a median per day is still one GROUP BY query."""

import math

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func


class MinutesBetween(Func):
    """end − start in minutes (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(start, end, **extra)

    def as_sql(self, compiler, connection, **extra):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        sql = f"(EXTRACT(EPOCH FROM ({end[0]} - {start[0]})) / 60.0)"
        return sql, (*end[1], *start[1])

    def as_sqlite(self, compiler, connection, **extra):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        sql = f"((julianday({end[0]}) - julianday({start[0]})) * 1440.0)"
        return sql, (*end[1], *start[1])


class Percentile(Aggregate):
    """The continuous percentile (linear interpolation, as PostgreSQL's percentile_cont) of an
    expression; NULLs are ignored. `fraction` is 0.5 for the median, 0.9 for the 90th."""

    function = "percentile_cont"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.get_source_expressions()[0])
        if self.filter is not None:
            condition, condition_params = compiler.compile(self.filter)
            inner = f"CASE WHEN {condition} THEN {inner} END"
            params = (*condition_params, *params)
        # %s cannot carry the fraction here: PostgreSQL wants a constant of a known type.
        return f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY {inner})", params

    def as_sqlite(self, compiler, connection, **extra):
        inner, params = compiler.compile(self.get_source_expressions()[0])
        if self.filter is not None:
            condition, condition_params = compiler.compile(self.filter)
            inner = f"CASE WHEN {condition} THEN {inner} END"
            params = (*condition_params, *params)
        return f"houqin_percentile({inner}, {self.fraction!r})", params


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont over a list already in memory (the SQLite aggregate, and tests)."""
    return percentile_of_sorted(sorted(value for value in values if value is not None), fraction)


def percentile_of_sorted(ordered: list[float], fraction: float) -> float | None:
    """percentile() of values already sorted, without NULLs (the rollup's lists)."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SqlitePercentile:
    def __init__(self):
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return percentile(self.values, self.fraction)


def _register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("houqin_percentile", 2, _SqlitePercentile)


def install_sqlite_functions() -> None:
    connection_created.connect(_register, dispatch_uid="houqin-insight-sqlite-functions")
