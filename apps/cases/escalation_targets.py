"""Who an escalation reaches. The seam the shifts app fills: until it is installed, the
supervisor on duty is "every supervisor"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings

from apps.people.roles import Role
from apps.people.selectors import active_members, active_person, active_supervisors

if TYPE_CHECKING:
    from apps.people.models import User


def _members(role: str) -> list[User]:
    return list(active_members(role).order_by("username"))


def supervisor_on_duty() -> User | None:
    """The supervisor of the shift working now, or None when nobody is rostered (or the
    shifts app is not installed): the escalation then goes to every supervisor."""
    if not apps.is_installed("apps.shifts"):
        return None
    from apps.shifts.selectors import on_duty  # type: ignore[import-not-found,unused-ignore]

    supervisor: User | None = on_duty().supervisor
    return supervisor


def supervisors() -> list[User]:
    return list(active_supervisors())


def strategy_team() -> list[User]:
    return _members(Role.STRATEGY)


def head_of_risk() -> User | None:
    """settings.HEAD_OF_RISK (a username, from the environment); None: every supervisor."""
    username = settings.HEAD_OF_RISK
    if not username:
        return None
    return active_person(username)


def recipients(target: str, to_user: User | None) -> list[User]:
    """The people told of an escalation: the named person, else the whole group."""
    from apps.cases.models import Target

    if to_user is not None:
        return [to_user]
    if target == Target.STRATEGY:
        return strategy_team()
    return supervisors()
