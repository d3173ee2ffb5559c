"""Reads about the desk's people that other apps share."""

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
