"""Every move of a case's status: by hand, and as its measures move (STYLE.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from apps.cases.models import (
    ALLOWED_MOVES,
    BY_MEASURES,
    HAND_MOVES,
    OUTCOMES_FROM,
    Case,
    EventKind,
    Outcome,
    Status,
)
from apps.cases.services.common import (
    CaseError,
    case_timeline_add,
    case_url,
    check_can_change,
    locked,
    save_case,
)
from apps.cases.services.opening import open_case_of
from apps.notifications.services import notify

if TYPE_CHECKING:
    from apps.people.models import User


@transaction.atomic
def case_move(*, case: Case, to: str, by: User, note: str = "", outcome: str = "") -> Case:
    case = locked(case)
    check_can_change(case, by)
    if to not in Status.values:
        raise CaseError(f"“{to}” is not a case status.")
    if case.status == to:
        return case
    if to in BY_MEASURES or (case.status in BY_MEASURES and not case.can_move_to(to)):
        raise CaseError(
            f"{case.ref} is {case.get_status_display().lower()}; it cannot move to "
            f"{Status(to).label.lower()} by hand: its status follows its measures (awaiting "
            "approval while one waits for a supervisor, actioned once one is carried out and "
            "none waits)."
        )
    if not case.can_move_to(to):
        allowed = ", ".join(Status(s).label.lower() for s in sorted(HAND_MOVES[case.status]))
        raise CaseError(
            f"{case.ref} is {case.get_status_display().lower()}; it cannot move to "
            f"{Status(to).label.lower()} (only to: {allowed})."
        )
    fields = ["status"]
    old = case.status
    if to == Status.CLOSED:
        if not outcome:
            raise CaseError(f"Choose an outcome to close {case.ref}.")
        if outcome not in OUTCOMES_FROM[case.status]:
            raise CaseError(
                f"{case.ref} cannot be closed as “{Outcome(outcome).label}” while "
                f"{case.get_status_display().lower()}: a restriction or closure is "
                "recorded once the measure has been actioned."
            )
        case.outcome, case.closed_at = outcome, timezone.now()
        fields += ["outcome", "closed_at"]
    elif old == Status.CLOSED:
        other = open_case_of(case.cluster_id, []) if case.cluster_id else None
        if other is not None:
            raise CaseError(
                f"{case.ref} cannot be reopened: its cluster already has open case {other.ref}."
            )
        case.outcome, case.closed_at = "", None
        fields += ["outcome", "closed_at"]
    case.status = to
    verb = "reopened" if old == Status.CLOSED else f"moved to {case.get_status_display().lower()}"
    save_case(case, by=by, reason=verb, fields=fields)
    text = note.strip()
    if to == Status.CLOSED:
        text = f"Outcome: {case.get_outcome_display()}. {text}".strip()
    case_timeline_add(
        case=case,
        kind=EventKind.STATUS,
        by=by,
        text=text,
        data={"from": old, "to": to, "outcome": case.outcome},
        tell_followers=True,
    )
    return case


@transaction.atomic
def case_assign(*, case: Case, to: User, by: User) -> Case:
    """Give the case to `to`: a supervisor may give any case; the assignee may hand theirs
    over; anyone who works alerts may take an unassigned case."""
    from apps.cases.permissions import WORKING_ROLES, grant_assignee, revoke_assignee
    from apps.people.access import has_role

    case = locked(case)
    if case.assignee_id == to.pk:
        return case
    taking_unassigned = case.assignee_id is None and to.pk == by.pk
    if not taking_unassigned:
        check_can_change(case, by)
    if not has_role(to, *WORKING_ROLES):
        raise CaseError(f"{to} is not a risk operator or supervisor, who work cases.")
    if not case.is_open:
        raise CaseError(f"{case.ref} is closed; reopen it before assigning it.")
    previous = case.assignee
    if previous is not None:
        revoke_assignee(case, previous)
    grant_assignee(case, to)
    case.assignee = to
    save_case(case, by=by, reason=f"assigned to {to}", fields=["assignee"])
    case.watchers.add(to)
    case_timeline_add(
        case=case,
        kind=EventKind.ASSIGNED,
        by=by,
        text=f"Assigned to {to}" + (f" (was {previous})" if previous else ""),
        data={"from": previous.pk if previous else None, "to": to.pk},
    )
    notify(
        recipients=[to],
        kind="case.assigned",
        title=f"{case.ref} is now yours",
        body=case.title,
        url=case_url(case),
        skip=by,
    )
    return case


def _route(start: str, goal: str) -> list[str]:
    """The shortest walk from `start` to `goal` through the table of moves, never through
    closed (a case an action follows stays open)."""
    paths: dict[str, list[str]] = {start: []}
    todo = [start]
    while todo:
        status = todo.pop(0)
        for step in sorted(ALLOWED_MOVES[status]):
            if step in paths or step == Status.CLOSED:
                continue
            paths[step] = [*paths[status], step]
            if step == goal:
                return paths[step]
            todo.append(step)
    return []


@transaction.atomic
def case_follow_action(*, case: Case, to: str, by: User | None, note: str) -> Case:
    """The case moves as its measures do (apps.actions calls this): to awaiting approval
    when one needing approval is requested, to actioned when one executes, back when a
    request is rejected. Each step is a move of the table, on the timeline; a closed case
    stays closed. `by` None: a worker (named by acting_task) carried the measure out."""
    case = locked(case)
    if by is not None:
        check_can_change(case, by)
    if case.status == to or case.status == Status.CLOSED:
        return case
    for step in _route(case.status, to):
        old = case.status
        case.status = step
        save_case(case, by=by, reason=f"moved to {step}: {note}"[:100], fields=["status"])
        case_timeline_add(
            case=case,
            kind=EventKind.STATUS,
            by=by,
            text=note,
            data={"from": old, "to": step, "outcome": ""},
        )
    return case
