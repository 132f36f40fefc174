"""Who should take an order: the suggested assignees for a category at a location, the load and
the whereabouts of a team's workers (the dispatch board), and the optional automatic dispatch of
a category.

The load of a worker is the number of their open orders weighted by priority (an urgent job
counts four times a normal one), so that "fewest open orders" does not send the next job to the
one person already running to three emergencies."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from houqin.org.models import Location, LocationKind, Person
from houqin.servicedesk.models import OPEN_STATUSES, Priority, ServiceCategory, Status, WorkOrder

PRIORITY_WEIGHTS = {Priority.URGENT: 4.0, Priority.HIGH: 2.0, Priority.NORMAL: 1.0, Priority.LOW: 0.5}


def _weight():
    return Case(
        *(When(priority=priority, then=Value(weight)) for priority, weight in PRIORITY_WEIGHTS.items()),
        default=Value(1.0),
        output_field=FloatField(),
    )


def with_load(people):
    """people annotated with `load` (open orders weighted by priority) and `open_orders` (their
    count), as correlated subqueries: no join, so filters on other relations cannot multiply them."""
    open_orders = WorkOrder.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_STATUSES).order_by()
    load = open_orders.values("assignee").annotate(total=Sum(_weight())).values("total")[:1]
    count = open_orders.values("assignee").annotate(total=Count("pk")).values("total")[:1]
    return people.annotate(
        load=Coalesce(Subquery(load, output_field=FloatField()), Value(0.0)),
        open_orders=Coalesce(Subquery(count), Value(0)),
    )


def path_ids(tree_path: str) -> list[int]:
    return [int(part) for part in (tree_path or "").strip("/").split("/") if part]


def building_of(location: Location | None) -> Location | None:
    """The building a location is in (itself when it is one); None outside any building."""
    if location is None:
        return None
    if location.kind == LocationKind.BUILDING:
        return location
    return (
        Location.objects.filter(pk__in=path_ids(location.tree_path), kind=LocationKind.BUILDING)
        .order_by("-depth")
        .first()
    )


def candidates_for(category: ServiceCategory):
    """Active people on duty in the category's default team, or holding a trade of that team."""
    team_id = category.default_team_id
    if team_id is None:
        return Person.objects.none()
    with_trade = Person.trades.through.objects.filter(trade__teams=team_id).values("person_id")
    return Person.objects.filter(is_active=True, on_duty=True).filter(Q(team_id=team_id) | Q(pk__in=with_trade))


def suggest_assignees(category: ServiceCategory, location: Location | None = None, limit: int = 5) -> list[Person]:
    """The people best placed to take an order of `category` at `location`, best first: on duty,
    in the category's default team (or with one of its trades), fewest open orders weighted by
    priority (urgent 4, high 2, normal 1, low 0.5), then whoever is working in the same building
    right now, then by name. Each carries `load`, `open_orders` and `same_building`.

    One query for the ranking (plus one to find the location's building)."""
    if category is None:
        return []
    people = with_load(candidates_for(category))
    building = building_of(location)
    if building is not None:
        busy_there = WorkOrder.objects.filter(
            assignee=OuterRef("pk"),
            status=Status.IN_PROGRESS,
            location__tree_path__startswith=building.tree_path,
        )
        people = people.annotate(same_building=Exists(busy_there))
    else:
        people = people.annotate(same_building=Value(False))
    people = people.select_related("team").order_by("load", "-same_building", "name", "pk")
    return list(people[:limit])


# ---------------------------------------------------------------------------------------------
# The dispatch board: a team's workers, their load and where they are
# ---------------------------------------------------------------------------------------------


@dataclass
class BuildingIndex:
    """Buildings by id, to name the building of any location path without a query per row."""

    buildings: dict[int, Location]

    @classmethod
    def for_paths(cls, paths: Iterable[str]) -> "BuildingIndex":
        ids = {pk for path in paths if path for pk in path_ids(path)}
        if not ids:
            return cls({})
        found = Location.objects.filter(pk__in=ids, kind=LocationKind.BUILDING).only("id", "name", "code", "tree_path")
        return cls({loc.pk: loc for loc in found})

    def building(self, tree_path: str | None) -> Location | None:
        for pk in reversed(path_ids(tree_path or "")):
            if pk in self.buildings:
                return self.buildings[pk]
        return None


def team_workers(team_id: int):
    """The active members of a team with their load, open orders by status and the location of
    the job they are on now (`current_path`, `current_location_name`): one query."""
    mine = WorkOrder.objects.filter(assignee=OuterRef("pk")).order_by()
    current = mine.filter(status=Status.IN_PROGRESS, location__isnull=False).order_by("-arrived_at", "-pk")

    def count(status):
        counted = mine.filter(status=status).values("assignee").annotate(n=Count("pk")).values("n")[:1]
        return Coalesce(Subquery(counted), Value(0))

    return (
        with_load(Person.objects.filter(team_id=team_id, is_active=True))
        .annotate(
            dispatched_count=count(Status.DISPATCHED),
            in_progress_count=count(Status.IN_PROGRESS),
            on_hold_count=count(Status.ON_HOLD),
            current_path=Subquery(current.values("location__tree_path")[:1]),
            current_location_name=Subquery(current.values("location__name")[:1]),
        )
        .order_by("-on_duty", "name", "pk")
    )


def rank_workers(workers: list[Person], building: Location | None, index: BuildingIndex) -> list[Person]:
    """The workers in suggestion order for one order: on duty first, then load, then those
    working in the order's building, then name (the rule of suggest_assignees, in memory)."""

    def key(person):
        here = building is not None and index.building(getattr(person, "current_path", None)) == building
        return (not person.on_duty, person.load, not here, person.name, person.pk)

    return sorted(workers, key=key)


# ---------------------------------------------------------------------------------------------
# Automatic dispatch
# ---------------------------------------------------------------------------------------------


def auto_dispatch_if_configured(order: WorkOrder, by) -> WorkOrder:
    """Dispatch an accepted, unassigned order to the first suggested worker when its category
    says so (ServiceCategory.auto_dispatch). Returns the order, dispatched or as it was: nothing
    happens when the category does not ask for it, nobody is on duty, or `by` may not dispatch.
    Call it right after creating or accepting an order, inside the same transaction if the two
    must stand or fall together."""
    from houqin.servicedesk import services

    category = order.category
    if not category.auto_dispatch or order.status != Status.ACCEPTED or order.assignee_id is not None:
        return order
    if by is None or not services.may_act(by, order, "dispatch"):
        return order
    suggestions = suggest_assignees(category, order.location, limit=1)
    if not suggestions:
        return order
    return services.dispatch(
        order,
        by=by,
        assignee=suggestions[0],
        version=order.version,
        note=_("Dispatched automatically to the suggested worker."),
    )


def auto_dispatch_after_intake(order: WorkOrder, by) -> WorkOrder:
    """The category's automatic dispatch for an order just recorded by any channel — the API, the
    requester portal, a QR label — called in the transaction that created it. Returns the order,
    dispatched or as it was.

    - Created accepted (a phone request the desk recorded through the API): exactly as on the
      desk's console, `by` dispatches it to the first suggested worker if they may dispatch
      (auto_dispatch_if_configured).
    - Created new (a requester's or an integration's request): on the desk such an order waits to
      be accepted, and accepting it dispatches it. An automatic category is one the desk need not
      look at, so it skips that wait: the system dispatches it to the first suggested worker
      (services.dispatch_by_system; the dispatch accepts it, with no first-contact owner).
      With nobody on duty it stays new and waits for the desk, whose acceptance tries again.

    An Idempotency-Key replay of the API's creation answers the stored response without running
    the creation again, so an order is dispatched once."""
    from houqin.servicedesk import services

    category = order.category
    if not category.auto_dispatch or order.assignee_id is not None:
        return order
    if order.status == Status.ACCEPTED:
        return auto_dispatch_if_configured(order, by)
    if order.status != Status.NEW:
        return order
    suggestions = suggest_assignees(category, order.location, limit=1)
    if not suggestions:
        return order
    return services.dispatch_by_system(
        order,
        assignee=suggestions[0],
        version=order.version,
        note=_("Dispatched automatically to the suggested worker."),
    )
