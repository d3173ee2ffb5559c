"""What an action's moves tell the rest of the desk: its case's timeline and status, and the
supervisors. Called inside the service that makes the move, so a line is written exactly when
the move commits (and never when it rolls back); outbound notifications leave after the
commit (apps.notifications.notify queues them with transaction.on_commit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.urls import reverse

from apps.actions.models import Action, Restriction
from apps.actions.services.common import ActionError
from apps.cases.selectors import case_by_id
from apps.cases.services import case_follow_action, case_timeline_add
from apps.cases.vocabulary import BY_MEASURES, EventKind
from apps.cases.vocabulary import Status as CaseStatus
from apps.desk.locking import locked
from apps.notifications.services import notify
from apps.people.selectors import active_supervisors

if TYPE_CHECKING:
    from apps.cases.models import Case
    from apps.people.models import User


def _by_case(actions: Sequence[Action]) -> dict[int, list[Action]]:
    grouped: dict[int, list[Action]] = defaultdict(list)
    for action in actions:
        if action.case_id is not None:
            grouped[action.case_id].append(action)
    return grouped


def _refs(actions: Sequence[Action]) -> str:
    refs = [a.reference for a in actions]
    return ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")


def _what(actions: Sequence[Action]) -> str:
    lead = actions[0]
    where = f"{len(actions)} accounts" if len(actions) > 1 else lead.target
    return f"{lead.get_measure_display()} on {where} ({_refs(actions)})"


def _data(actions: Sequence[Action], **more: object) -> dict[str, object]:
    return {"actions": [a.pk for a in actions], "measure": actions[0].measure, **more}


def _supervisors() -> list[User]:
    return list(active_supervisors())


def action_url(action: Action) -> str:
    return reverse("actions:detail", args=[action.pk])


def told_requested(actions: Sequence[Action], *, by: User, tell_approvers: bool = True) -> None:
    """A request: its case's timeline, the case waits for approval if the measure needs it,
    and the supervisors (not the requester) hear that a decision waits for them."""
    for case_id, mine in _by_case(actions).items():
        case = case_by_id(case_id)
        needs = mine[0].requires_approval
        case_timeline_add(
            case=case,
            kind=EventKind.ACTION_REQUESTED,
            by=by,
            text=_what(mine) + (" — needs a supervisor's approval" if needs else ""),
            data=_data(mine, requires_approval=needs),
        )
        note = f"{_refs(mine)} waits for approval" if needs else f"{_refs(mine)} requested"
        _case_follows_its_measures(case, by=by, note=note)
    if actions and actions[0].requires_approval and tell_approvers:
        lead = actions[0]
        for_case = f" for {lead.case.ref}" if lead.case is not None else ""
        notify(
            recipients=_supervisors(),
            kind="action.awaiting_approval",
            title=f"{by} asks for approval: {_what(actions)}{for_case}",
            body=lead.customer_text,
            url=reverse("actions:inbox"),
            skip=by,
        )


def told_decided(actions: Sequence[Action], *, by: User, approved: bool) -> None:
    for case_id, mine in _by_case(actions).items():
        case = case_by_id(case_id)
        if approved:
            case_timeline_add(
                case=case,
                kind=EventKind.ACTION_APPROVED,
                by=by,
                text=_what(mine),
                data=_data(mine),
            )
            _case_follows_its_measures(case, by=by, note=f"{_refs(mine)} approved")
        else:
            case_timeline_add(
                case=case,
                kind=EventKind.ACTION_REJECTED,
                by=by,
                text=f"{_what(mine)}: {mine[0].rejection_reason}",
                data=_data(mine),
                tell_followers=True,
            )
            _case_follows_its_measures(case, by=by, note=f"{_refs(mine)} rejected")


def told_expired(action: Action) -> None:
    """An unanswered request expired (the timer scan: no person). A cluster's request says
    so once, when its last action expires. The requester always hears it: a measure nobody
    approved never ends silently (a symbol-wide one used to, when it had no case)."""
    if (
        action.batch
        and Action.objects.filter(batch=action.batch, status=Action.Status.AWAITING_APPROVAL)
        .exclude(pk=action.pk)
        .exists()
    ):
        return
    mine = list(Action.objects.filter(batch=action.batch)) if action.batch else [action]
    notify(
        recipients=[action.requested_by],
        kind="action.expired",
        title=f"Nobody approved {_what(mine)} in time: it expired, nothing was applied",
        body="Request it again when a second person can approve it.",
        url=action_url(action),
    )
    if action.case_id is None:
        return
    case = case_by_id(action.case_id)
    case_timeline_add(
        case=case,
        kind=EventKind.ACTION_EXPIRED,
        by=None,
        text=f"{_what(mine)}: nobody approved it in time",
        data=_data(mine),
        tell_followers=True,
    )
    _case_follows_its_measures(case, by=None, note=f"{_refs(mine)} expired unanswered")


# What a measure's status says about its case (case_status_by_measures).
_WAITS = frozenset({Action.Status.AWAITING_APPROVAL})
_CARRIED_OUT = frozenset({Action.Status.EXECUTED, Action.Status.LIFTED})
# Approved, being executed, or failed (a supervisor may send it again): not decided yet.
_ON_ITS_WAY = frozenset({Action.Status.APPROVED, Action.Status.EXECUTING, Action.Status.FAILED})


def case_status_by_measures(case: Case) -> str | None:
    """The one rule for the statuses a case's measures decide: awaiting approval while any of
    them waits for a supervisor; actioned once one was carried out (executed, or since
    lifted; a lift is not itself a measure on the case's accounts) and none waits;
    investigating when all came to nothing (rejected, expired). None while one is on its
    way: the case stays where it is until it lands."""
    measures = list(case.actions.values_list("measure", "status"))
    if any(status in _WAITS for _, status in measures):
        return CaseStatus.AWAITING_APPROVAL
    if any(status in _CARRIED_OUT and measure != "lift" for measure, status in measures):
        return CaseStatus.ACTIONED
    if any(status in _ON_ITS_WAY for _, status in measures):
        return None
    return CaseStatus.INVESTIGATING


def _case_follows_its_measures(case: Case, *, by: User | None, note: str) -> None:
    """After any move of a case's measures: the case takes the status they decide. The case
    is locked before its measures are read, so two workers finishing two of its measures at
    once settle it one after the other, the second seeing the first's result."""
    case = locked(case, error=ActionError)
    to = case_status_by_measures(case)
    if to is None or case.status in (to, CaseStatus.CLOSED):
        return
    if to == CaseStatus.INVESTIGATING and case.status not in BY_MEASURES:
        return  # measures that came to nothing leave a case's own status alone
    case_follow_action(case=case, to=to, by=by, note=note)


def told_executed(action: Action, restriction: Restriction | None) -> None:
    """A worker carried the action out (no person: the task is named by acting_task)."""
    if action.case_id is None:
        return
    # The case's lock first: two workers landing the last two actions of a batch settle
    # one after the other, so exactly one of them sees it whole and tells the followers.
    case = locked(case_by_id(action.case_id), error=ActionError)
    batch = list(Action.objects.filter(batch=action.batch)) if action.batch else [action]
    landing = {Action.Status.APPROVED, Action.Status.EXECUTING}
    whole = not any(a.status in landing for a in batch if a.pk != action.pk)
    done = [a for a in batch if a.status == Action.Status.EXECUTED or a.pk == action.pk]
    # One line a worker; one notification a request, when its last action lands.
    case_timeline_add(
        case=case,
        kind=EventKind.ACTION_EXECUTED,
        by=None,
        text=f"{_what([action])} done on the exchange"
        + (f" — the whole request is done ({_refs(done)})" if whole and len(batch) > 1 else ""),
        data=_data([action]),
        tell_followers=whole,
    )
    if restriction is not None:
        told_restriction(restriction, change="applied")
    _case_follows_its_measures(case, by=None, note=f"{action.reference} executed")


def told_failed(action: Action) -> None:
    """Supervisors (and the requester) are told once: this runs in the transaction that
    moves the action to failed, which happens once per failure under the action's lock."""
    if action.case_id is not None:
        case_timeline_add(
            case=case_by_id(action.case_id),
            kind=EventKind.ACTION_FAILED,
            by=None,
            text=f"{_what([action])}: {action.failure_message}",
            data=_data([action]),
        )
    of_case = f" ({action.case.ref})" if action.case is not None else ""
    notify(
        recipients=[*_supervisors(), action.requested_by],
        kind="action.failed",
        title=f"{action.reference} failed{of_case}: "
        f"{action.get_measure_display()} on {action.target}",
        body=action.failure_message,
        url=action_url(action),
    )


def told_restriction(restriction: Restriction, *, change: str) -> None:
    """A restriction was applied, lifted or expired: on the timeline of the case behind it
    (and, for a lift, of the case behind the lift too)."""
    placed = restriction.action
    lift = restriction.lifted_by if change == "lifted" else None
    cases = {c for c in (placed.case_id, lift.case_id if lift else None) if c is not None}
    words = {"applied": "now stands", "lifted": "lifted", "expired": "expired"}[change]
    by_lift = f" by {lift.reference}" if lift else ""
    for case_id in sorted(cases):
        case_timeline_add(
            case=case_by_id(case_id),
            kind=EventKind.RESTRICTION,
            by=None,
            text=f"{restriction.get_measure_display()} on {placed.target} ({placed.reference}) "
            f"{words}{by_lift}",
            data={
                "restriction": restriction.pk,
                "action": placed.pk,
                "change": change,
                "lift": lift.pk if lift else None,
            },
            tell_followers=change != "applied",
        )
