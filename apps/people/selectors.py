"""Reads about the desk's people that other apps share."""

from collections.abc import Iterable

from django.db.models import QuerySet

from apps.people.models import User
from apps.people.roles import Role


def active_supervisors() -> QuerySet[User]:
    """The supervisors who may sign in: approvers, and the addressees of what no one named
    person answers (an escalation with nobody on duty, a request awaiting approval)."""
    return (
        User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True)
        .distinct()
        .order_by("username")
    )


def desk_people() -> QuerySet[User]:
    """Everyone the desk knows, signed in or not: the base of another app's lookups."""
    return User.objects.all()


def active_members(*roles: str) -> QuerySet[User]:
    """The people in any of `roles` who may sign in, each once."""
    return User.objects.filter(groups__name__in=roles, is_active=True).distinct()


def active_person(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def people_named(usernames: Iterable[str], *, active_only: bool = False) -> QuerySet[User]:
    people = User.objects.filter(username__in=list(usernames))
    return people.filter(is_active=True) if active_only else people


def person_lock(person: User) -> None:
    """Wait for, then hold until commit, the row lock on `person`: what one person starts
    twice at once (the same form sent twice) runs one after the other."""
    User.objects.select_for_update().filter(pk=person.pk).first()
