"""Timers: an alert unclaimed past its SLA, or a case past its due time, escalates one
level by itself — operator -> supervisor on duty (level 1) -> head of risk (level 2, one
step later if still untouched).

Beat runs `timers_scan` every half minute. The due timers are found in the database, so a
restart or a lost message delays one by a scan at most; a TimerFiring row with a unique key
(object, due time, level) makes each fire once even when two schedulers scan at once: the
second insert waits for the first transaction and then fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from apps.alerts.selectors import breached_unclaimed, new_alert
from apps.cases.models import OPEN_STATUSES, Case, Target, TimerFiring
from apps.cases.services.escalations import raise_escalation
from apps.desk.history import task_work

if TYPE_CHECKING:
    pass

Subject = TimerFiring.Subject


@dataclass
class ScanResult:
    fired: list[tuple[str, int, int]] = field(default_factory=list)  # (subject, id, level)

    def count(self, subject: str, level: int) -> int:
        return sum(1 for s, _, lv in self.fired if s == subject and lv == level)


def _step() -> timedelta:
    return timedelta(minutes=settings.ESCALATION_STEP_MINUTES)


def _fired(subject: str, level: int, due_field: str) -> Exists:
    return Exists(
        TimerFiring.objects.filter(
            subject=subject, object_id=OuterRef("pk"), due_at=OuterRef(due_field), level=level
        )
    )


def _fired_before(subject: str, level: int, due_field: str, before: datetime) -> Exists:
    return Exists(
        TimerFiring.objects.filter(
            subject=subject,
            object_id=OuterRef("pk"),
            due_at=OuterRef(due_field),
            level=level,
            fired_at__lte=before,
        )
    )


def _due(
    rows: QuerySet, subject: str, due_field: str, now: datetime, limit: int
) -> list[tuple[int, int]]:
    """(id, level) of the timers due now: level 1 when past due, level 2 a step after
    level 1 fired."""
    first = rows.filter(**{f"{due_field}__lte": now}).exclude(_fired(subject, 1, due_field))
    second = rows.filter(_fired_before(subject, 1, due_field, now - _step())).exclude(
        _fired(subject, 2, due_field)
    )
    return [(pk, 1) for pk in first.values_list("pk", flat=True)[:limit]] + [
        (pk, 2) for pk in second.values_list("pk", flat=True)[:limit]
    ]


@task_work("cases.timers_scan")
def timers_scan(*, now: datetime | None = None, limit: int = 200) -> ScanResult:
    now = now or timezone.now()
    result = ScanResult()
    # Breached (alerts.vocabulary.sla_breached) and still nobody's: a held alert is being worked.
    unclaimed = breached_unclaimed(now)
    for pk, level in _due(unclaimed, Subject.ALERT, "sla_due_at", now, limit):
        if _fire_alert(pk, level, now):
            result.fired.append((Subject.ALERT, pk, level))
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).order_by("due_at")
    for pk, level in _due(open_cases, Subject.CASE, "due_at", now, limit):
        if _fire_case(pk, level, now):
            result.fired.append((Subject.CASE, pk, level))
    return result


def _claim(subject: str, object_id: int, due_at: datetime, level: int, now: datetime) -> bool:
    try:
        with transaction.atomic():
            TimerFiring.objects.create(
                subject=subject, object_id=object_id, due_at=due_at, level=level, fired_at=now
            )
    except IntegrityError:
        return False  # another scheduler fired it
    return True


def _target(level: int) -> str:
    return Target.SUPERVISOR if level == 1 else Target.HEAD_OF_RISK


@transaction.atomic
def _fire_alert(pk: int, level: int, now: datetime) -> bool:
    alert = new_alert(pk)
    if alert is None or not _claim(Subject.ALERT, pk, alert.sla_due_at, level, now):
        return False
    late = int((now - alert.sla_due_at).total_seconds() // 60)
    escalation = raise_escalation(
        target=_target(level),
        reason=f"Nobody claimed {alert.get_severity_display().lower()} alert {alert.pk} "
        f"within its SLA ({late} min overdue): {alert.summary}",
        by=None,
        alert=alert,
        level=level,
    )
    TimerFiring.objects.filter(
        subject=Subject.ALERT, object_id=pk, due_at=alert.sla_due_at, level=level
    ).update(escalation=escalation)
    return True


@transaction.atomic
def _fire_case(pk: int, level: int, now: datetime) -> bool:
    case = Case.objects.select_for_update().filter(pk=pk, status__in=OPEN_STATUSES).first()
    if case is None or not _claim(Subject.CASE, pk, case.due_at, level, now):
        return False
    late = int((now - case.due_at).total_seconds() // 60)
    escalation = raise_escalation(
        target=_target(level),
        reason=f"{case.ref} is past its due time ({late} min overdue) and still "
        f"{case.get_status_display().lower()}.",
        by=None,
        case=case,
        level=level,
    )
    TimerFiring.objects.filter(
        subject=Subject.CASE, object_id=pk, due_at=case.due_at, level=level
    ).update(escalation=escalation)
    return True
