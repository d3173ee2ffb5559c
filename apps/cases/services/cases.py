"""Opening a case, alerts joining it, and every move of its status (STYLE.md)."""

from collections.abc import Sequence
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import ExchangeAccount
from apps.alerts.models import SEVERITY_RANK, Alert, Severity
from apps.alerts.models import Status as AlertStatus
from apps.alerts.services import AlertError, alert_mark_in_case
from apps.cases.models import (
    ALLOWED_MOVES,
    BY_MEASURES,
    HAND_MOVES,
    OPEN_STATUSES,
    OUTCOMES_FROM,
    Case,
    CaseAccount,
    CaseAlert,
    EventKind,
    Outcome,
    Status,
)
from apps.cases.permissions import can_change_case, can_open_case
from apps.cases.services.common import (
    CaseError,
    case_timeline_add,
    case_url,
    due_for,
    followers,
    locked,
    save_case,
)
from apps.desk.history import acting_task, current_task
from apps.notifications.services import notify
from apps.people.models import User

# Alerts that may still join a case: not decided, not in another case.
JOINABLE = (AlertStatus.NEW, AlertStatus.CLAIMED, AlertStatus.ESCALATED)
_RANK_SEVERITY = {rank: severity for severity, rank in SEVERITY_RANK.items()}


class Opened(NamedTuple):
    case: Case
    created: bool  # False: the cluster already had an open case, which the alerts joined


def _priority(severity_rank: int, alerts: int) -> int:
    return severity_rank * 1000 + min(alerts, 999)


def _check_can_change(case: Case, by: User) -> None:
    if not can_change_case(by, case):
        raise CaseError(f"Only the assignee of {case.ref} or a supervisor can change it.")


@transaction.atomic
def case_open(*, alerts: Sequence[Alert], by: User, title: str = "") -> Opened:
    """Open a case on the accounts behind `alerts` — or, when their cluster (or one of their
    accounts) already has an open case, put the alerts into that one."""
    if not can_open_case(by):
        raise CaseError("Only risk operators and supervisors open cases.")
    fresh = list(Alert.objects.filter(pk__in=[a.pk for a in alerts]).order_by("pk"))
    if not fresh:
        raise CaseError("Choose at least one alert to open a case from.")
    for alert in fresh:
        if alert.status == AlertStatus.IN_CASE:
            raise CaseError(f"Alert {alert.pk} is already in case {alert.case_ref}.")
        if alert.status not in JOINABLE:
            raise CaseError(
                f"Alert {alert.pk} is {alert.get_status_display().lower()}; reopen it first."
            )
    account_ids = list(dict.fromkeys(a for alert in fresh for a in alert.accounts))
    clusters = sorted(
        set(
            ExchangeAccount.objects.filter(pk__in=account_ids, cluster__isnull=False)
            .values_list("cluster__key", "cluster_id")
            .distinct()
        )
    )
    if len(clusters) > 1:
        names = ", ".join(key for key, _ in clusters)
        raise CaseError(
            f"These alerts concern accounts of different control clusters ({names}); "
            "open one case per cluster."
        )
    cluster_id = clusters[0][1] if clusters else None

    existing = _open_case_of(cluster_id, account_ids)
    if existing is None:
        try:
            with transaction.atomic():  # a racing opener of the same cluster loses here
                case = _create(fresh, account_ids, cluster_id, by, title)
        except IntegrityError:
            existing = _open_case_of(cluster_id, account_ids)
            if existing is None:
                raise
        else:
            return Opened(case, True)
    case = locked(existing)
    _check_can_change(case, by)
    for alert in fresh:
        _join(case, alert, by=by)
    return Opened(case, False)


def _open_case_of(cluster_id: int | None, account_ids: list[str]) -> Case | None:
    match = Q(account_rows__account_id__in=account_ids)
    if cluster_id is not None:
        match |= Q(cluster_id=cluster_id)
    return Case.objects.filter(match, status__in=OPEN_STATUSES).order_by("opened_at", "pk").first()


def _create(
    alerts: list[Alert], account_ids: list[str], cluster_id: int | None, by: User, title: str
) -> Case:
    from apps.cases.permissions import grant_assignee

    now = timezone.now()
    rank = max(alert.severity_rank for alert in alerts)
    severity = _RANK_SEVERITY[rank]
    case = Case(
        title=(title.strip() or alerts[0].summary)[:300],
        cluster_id=cluster_id,
        severity=severity,
        severity_rank=rank,
        priority=_priority(rank, 0),
        assignee=by,
        opened_by=by,
        opened_at=now,
        due_at=due_for(severity, now),
    )
    save_case(case, by=by, reason="opened", fields=None)
    members = (
        list(ExchangeAccount.objects.filter(cluster_id=cluster_id).values_list("pk", flat=True))
        if cluster_id
        else []
    )
    CaseAccount.objects.bulk_create(
        [CaseAccount(case=case, account_id=a) for a in dict.fromkeys(account_ids + members)]
    )
    grant_assignee(case, by)
    case.watchers.add(by)
    case_timeline_add(
        case=case,
        kind=EventKind.OPENED,
        by=by,
        text=case.title,
        data={"alerts": [a.pk for a in alerts], "cluster": cluster_id},
    )
    for alert in alerts:
        _join(case, alert, by=by)
    return case


def _join(case: Case, alert: Alert, *, by: User | None, automatic: bool = False) -> bool:
    """Put `alert` into the locked `case`; False if it already is. Raises the case's
    severity, priority and due time as the alert demands."""
    if CaseAlert.objects.filter(alert=alert).exists():
        return False
    alert = alert_mark_in_case(alert=alert, by=by, case_ref=case.ref)
    now = timezone.now()
    CaseAlert.objects.create(case=case, alert=alert, joined_at=now, joined_by=by)
    CaseAccount.objects.bulk_create(
        [CaseAccount(case=case, account_id=a) for a in alert.accounts], ignore_conflicts=True
    )
    fields = ["priority"]
    if alert.severity_rank > case.severity_rank:
        case.severity, case.severity_rank = alert.severity, alert.severity_rank
        fields += ["severity", "severity_rank"]
        sooner = due_for(alert.severity, now)
        if sooner < case.due_at:
            case.due_at = sooner
            fields.append("due_at")
    case.priority = _priority(case.severity_rank, case.alert_rows.count())
    save_case(case, by=by, reason=f"alert {alert.pk} joined", fields=fields)
    case_timeline_add(
        case=case,
        kind=EventKind.ALERT_JOINED,
        by=None if automatic else by,
        text=alert.summary,
        data={
            "alert": alert.pk,
            "severity": alert.severity,
            "category": alert.category,
            "automatic": automatic,
        },
        at=now,
    )
    if automatic:
        notify(
            recipients=followers(case),
            kind="case.alert_joined",
            title=f"{case.ref}: new {Severity(alert.severity).label.lower()} alert joined",
            body=alert.summary,
            url=case_url(case),
        )
    return True


def case_attach_new_alerts(*, limit: int = 500) -> int:
    """Put every undecided alert on an account of an open case (or of its cluster) into
    that case. Beat runs this every few seconds; each case is its own transaction."""
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    by_account = dict(
        open_cases.order_by("-opened_at").values_list("account_rows__account_id", "pk")
    )
    by_account.update(
        dict(
            ExchangeAccount.objects.filter(cluster__cases__status__in=OPEN_STATUSES).values_list(
                "pk", "cluster__cases__pk"
            )
        )
    )
    if not by_account:
        return 0
    rows = (
        Alert.objects.filter(
            status__in=JOINABLE,
            case_row__isnull=True,
            account_rows__account_id__in=list(by_account),
        )
        .values_list("pk", "account_rows__account_id")
        .order_by("pk")[:limit]
    )
    wanted: dict[int, set[int]] = {}
    for alert_id, account_id in rows:
        wanted.setdefault(by_account[account_id], set()).add(alert_id)
    joined = 0
    # The join is the desk's own doing: named by the calling task, or by this service when
    # called from a shell or a test.
    with acting_task(current_task() or "cases.attach_new_alerts"):
        for case_id, alert_ids in sorted(wanted.items()):
            joined += _attach(case_id, sorted(alert_ids))
    return joined


@transaction.atomic
def _attach(case_id: int, alert_ids: list[int]) -> int:
    case = Case.objects.select_for_update().filter(pk=case_id, status__in=OPEN_STATUSES).first()
    if case is None:
        return 0
    # No person acts: the rows (alert history, case history, timeline) name the task that
    # runs this (apps.desk.history.acting_task), not a borrowed operator.
    joined = 0
    for alert in Alert.objects.filter(pk__in=alert_ids, status__in=JOINABLE):
        try:
            with transaction.atomic():
                joined += _join(case, alert, by=None, automatic=True)
        except (AlertError, IntegrityError):
            continue  # decided or taken by another case meanwhile: leave it
    return joined


@transaction.atomic
def case_move(*, case: Case, to: str, by: User, note: str = "", outcome: str = "") -> Case:
    case = locked(case)
    _check_can_change(case, by)
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
        other = _open_case_of(case.cluster_id, []) if case.cluster_id else None
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
        _check_can_change(case, by)
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
        _check_can_change(case, by)
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
