"""Helpers shared by the desk's tests (test_desk_*.py): a team of workers, a category it
serves, buildings with rooms, and orders in a given state. No tests of its own."""

from houqin.org.models import EmploymentType, LocationKind, Person
from houqin.org.tests.factories import LocationFactory, PersonFactory, TeamFactory
from houqin.servicedesk import services
from houqin.servicedesk.models import Channel
from houqin.servicedesk.tests.factories import ServiceCategoryFactory


def make_team(cast, **kwargs):
    return TeamFactory(company=cast.hospital, site=cast.site, **kwargs)


def make_worker(cast, team, name: str, *, on_duty: bool = True, **kwargs) -> Person:
    return PersonFactory(
        company=cast.hospital,
        team=team,
        name=name,
        on_duty=on_duty,
        employment_type=EmploymentType.PERMANENT,
        **kwargs,
    )


def make_category(team, **kwargs):
    kwargs.setdefault("name", "电气")
    return ServiceCategoryFactory(default_team=team, **kwargs)


def make_building(cast, code: str, name: str):
    return LocationFactory(site=cast.site, code=code, name=name, kind=LocationKind.BUILDING)


def make_room(building, code: str, name: str = ""):
    floor = LocationFactory(site=building.site, parent=building, code=f"{code}-F", name="3楼", kind=LocationKind.FLOOR)
    return LocationFactory(site=building.site, parent=floor, code=code, name=name or code, kind=LocationKind.ROOM)


def accepted_order(cast, category, *, location=None, priority=None, description="病房灯不亮", **kwargs):
    return services.create_work_order(
        category=category,
        description=description,
        by=cast.agent,
        location=location,
        priority=priority,
        channel=Channel.PHONE,
        accept=True,
        **kwargs,
    )


def new_order(cast, category, *, location=None, description="水龙头漏水", **kwargs):
    return services.create_work_order(
        category=category,
        description=description,
        by=cast.department_user,
        location=location,
        channel=Channel.WEB,
        requester_user=cast.department_user,
        **kwargs,
    )


def in_progress_order(cast, category, worker, *, location=None, priority=None):
    order = accepted_order(cast, category, location=location, priority=priority)
    order = services.dispatch(order, by=cast.agent, assignee=worker)
    return services.start(order, by=cast.dispatcher)


def completed_order(cast, category, worker, *, location=None, **kwargs):
    order = accepted_order(cast, category, location=location, **kwargs)
    order = services.dispatch(order, by=cast.agent, assignee=worker)
    order = services.start(order, by=cast.dispatcher)
    return services.complete(order, by=cast.dispatcher, note="已修好", labor_minutes=20)
