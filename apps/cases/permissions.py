"""Who may do what to a case. Roles carry the model permissions (apps.people.roles); the
assignee's right to change their own case is a guardian object permission, granted on
assignment and taken back on reassignment. Services and views both ask here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardian.shortcuts import assign_perm, remove_perm

from apps.cases.models import Case, Escalation, Target
from apps.people.access import has_role
from apps.people.roles import FOLLOWING_ROLES, WORKING_ROLES, Role

if TYPE_CHECKING:
    from apps.people.models import User


def can_read_case(user: User) -> bool:
    return user.is_active and user.has_perm("cases.view_case")


def can_open_case(user: User) -> bool:
    return has_role(user, *WORKING_ROLES) and user.has_perm("cases.add_case")


def can_change_case(user: User, case: Case) -> bool:
    """Supervisors change every case (a role permission); an operator only the case they are
    assigned (an object permission)."""
    if not has_role(user, *WORKING_ROLES):
        return False
    return user.has_perm("cases.change_case") or user.has_perm("cases.change_case", case)


def can_follow_case(user: User) -> bool:
    return has_role(user, *FOLLOWING_ROLES) and can_read_case(user)


def can_answer_escalation(user: User, escalation: Escalation) -> bool:
    """The addressee: the named person, or anyone of the target group."""
    if escalation.to_user_id == user.pk and has_role(user, *WORKING_ROLES, Role.STRATEGY):
        return True
    if escalation.target == Target.STRATEGY:
        return has_role(user, Role.STRATEGY)
    return has_role(user, Role.SUPERVISOR)


def grant_assignee(case: Case, user: User) -> None:
    assign_perm("cases.change_case", user, case)


def revoke_assignee(case: Case, user: User) -> None:
    remove_perm("cases.change_case", user, case)
