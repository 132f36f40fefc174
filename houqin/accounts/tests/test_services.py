"""The account services enforce the separation of duties whoever calls them (UI, API, command)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from houqin.accounts import services
from houqin.accounts.models import User
from houqin.core.models import AuditEntry, SecurityEvent, SecurityEventKind
from houqin.org.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def groups(*codes):
    return list(Group.objects.filter(name__in=codes))


def test_it_refuses_any_two_separated_duties():
    for pair in (("security_admin", "auditor"), ("security_admin", "system_admin"), ("system_admin", "auditor")):
        with pytest.raises(ValidationError, match="separated duties"):
            services.check_role_combination(groups(*pair))
    services.check_role_combination(groups("security_admin", "worker"))


def test_it_refuses_own_role_changes_even_through_the_service(cast):
    with pytest.raises(ValidationError, match="own roles"):
        services.update_user_roles(cast.security_admin, groups("security_admin", "director"), by=cast.security_admin)
    assert set(cast.security_admin.groups.values_list("name", flat=True)) == {"security_admin"}


def test_it_changes_nothing_when_a_later_step_is_refused(cast):
    with pytest.raises(ValidationError):
        services.save_user(
            cast.security_admin,
            name="New name",
            email="",
            language="en",
            roles=groups("security_admin", "director"),
            is_active=True,
            person=None,
            by=cast.security_admin,
        )
    user = User.objects.get(pk=cast.security_admin.pk)
    assert user.get_full_name() == "secadmin"
    assert user.language == ""
    assert not AuditEntry.objects.filter(object_id=str(user.pk)).exists()


def test_it_refuses_non_superusers_touching_a_superuser(cast):
    root = User.objects.create_superuser("root", password="Root-Pass-2026")
    for call in (
        lambda: services.set_active(root, False, by=cast.security_admin),
        lambda: services.reset_password(root, "Whatever-2026", by=cast.security_admin),
        lambda: services.update_user_roles(root, groups("worker"), by=cast.security_admin),
        lambda: services.link_person(root, None, by=cast.security_admin),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_a_person_has_at_most_one_account(cast):
    taken = cast.worker.person
    with pytest.raises(ValidationError, match="already linked"):
        services.link_person(cast.agent, taken, by=cast.security_admin)


def test_it_moves_the_link_to_another_person(cast):
    new = PersonFactory(company=cast.hospital)
    old = cast.worker.person
    assert services.link_person(cast.worker, new, by=cast.security_admin)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.user, new.user) == (None, cast.worker)
    assert not services.link_person(cast.worker, new, by=cast.security_admin)  # no change, no trail


def test_it_records_no_event_when_roles_stay_the_same(cast):
    assert not services.update_user_roles(cast.worker, groups("worker"), by=cast.security_admin)
    assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ROLES_CHANGED).exists()


def test_a_superuser_may_hold_and_edit_anything(cast):
    root = User.objects.create_superuser("root", password="Root-Pass-2026")
    services.update_user_roles(root, groups("director"), by=root)
    security_admin = Group.objects.get(name="security_admin")
    # Even a superuser cannot give the security admin role the audit trail.
    with pytest.raises(ValidationError, match="audit trail"):
        services.set_role_permissions(
            security_admin,
            [
                *security_admin.permissions.all(),
                *Group.objects.get(name="auditor").permissions.filter(codename="view_auditentry"),
            ],
            by=root,
        )
