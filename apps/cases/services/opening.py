"""Opening a case and alerts joining it, by hand or as they arrive (STYLE.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.selectors import cluster_member_ids, clusters_of
from apps.alerts.selectors import alerts_of, alerts_on_accounts_outside_cases
from apps.alerts.services import AlertError, alert_mark_in_case
from apps.alerts.vocabulary import SEVERITY_RANK, Severity
from apps.alerts.vocabulary import Status as AlertStatus
from apps.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseAccount,
    CaseAlert,
    EventKind,
)
from apps.cases.permissions import can_open_case
from apps.cases.services.common import (
    CaseError,
    case_timeline_add,
    case_url,
    check_can_change,
    due_for,
    followers,
    locked,
    save_case,
)
from apps.desk.history import acting_task, current_task
from apps.notifications.services import notify

if TYPE_CHECKING:
    from apps.alerts.models import Alert
    from apps.people.models import User

# Alerts that may still join a case: not decided, not in another case.
JOINABLE = (AlertStatus.NEW, AlertStatus.CLAIMED, AlertStatus.ESCALATED)
_RANK_SEVERITY = {rank: severity for severity, rank in SEVERITY_RANK.items()}


class Opened(NamedTuple):
    case: Case
    created: bool  # False: the cluster already had an open case, which the alerts joined


def _priority(severity_rank: int, alerts: int) -> int:
    return severity_rank * 1000 + min(alerts, 999)


@transaction.atomic
def case_open(*, alerts: Sequence[Alert], by: User, title: str = "") -> Opened:
    """Open a case on the accounts behind `alerts` — or, when their cluster (or one of their
    accounts) already has an open case, put the alerts into that one."""
    if not can_open_case(by):
        raise CaseError("Only risk operators and supervisors open cases.")
    fresh = alerts_of([a.pk for a in alerts])
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
    clusters = clusters_of(account_ids)
    if len(clusters) > 1:
        names = ", ".join(key for key, _ in clusters)
        raise CaseError(
            f"These alerts concern accounts of different control clusters ({names}); "
            "open one case per cluster."
        )
    cluster_id = clusters[0][1] if clusters else None

    existing = open_case_of(cluster_id, account_ids)
    if existing is None:
        try:
            with transaction.atomic():  # a racing opener of the same cluster loses here
                case = _create(fresh, account_ids, cluster_id, by, title)
        except IntegrityError:
            existing = open_case_of(cluster_id, account_ids)
            if existing is None:
                raise
        else:
            return Opened(case, True)
    case = locked(existing)
    check_can_change(case, by)
    for alert in fresh:
        _join(case, alert, by=by)
    return Opened(case, False)


def open_case_of(cluster_id: int | None, account_ids: list[str]) -> Case | None:
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
    members = cluster_member_ids(cluster_id) if cluster_id else []
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
            open_cases.filter(cluster__members__isnull=False).values_list(
                "cluster__members__pk", "pk"
            )
        )
    )
    if not by_account:
        return 0
    rows = alerts_on_accounts_outside_cases(list(by_account), JOINABLE, limit=limit)
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
    for alert in alerts_of(alert_ids, statuses=JOINABLE):
        try:
            with transaction.atomic():
                joined += _join(case, alert, by=None, automatic=True)
        except (AlertError, IntegrityError):
            continue  # decided or taken by another case meanwhile: leave it
    return joined
