"""The figures the reports count from alerts: the handover's open alerts, the shift
dashboard's and the daily report's tallies over a window (apps.reports reads them here)."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from apps.alerts.models import Alert
from apps.alerts.queue_filters import CONFIRMED_STATUSES
from apps.alerts.vocabulary import (
    OPEN_STATUSES,
    Category,
    Severity,
    Status,
    sla_breached,
)


def alerts_in_status(status: str) -> QuerySet[Alert]:
    """Every alert in `status`, the SLA due soonest first, with their holders and offers."""
    return (
        Alert.objects.filter(status=status)
        .select_related("assignee", "offered_to")
        .defer("evidence", "metrics")
        .order_by("sla_due_at", "-severity_rank", "pk")
    )


def alerts_detected(start: datetime, end: datetime) -> QuerySet[Alert]:
    """The alerts detected in [start, end)."""
    return Alert.objects.filter(detected_at__gte=start, detected_at__lt=end)


def alerts_arrived(start: datetime, end: datetime) -> QuerySet[Alert]:
    """The alerts first seen by the desk in [start, end)."""
    return Alert.objects.filter(first_seen__gte=start, first_seen__lt=end)


def detected_tally(start: datetime, end: datetime) -> dict[str, int]:
    """Of the alerts detected in [start, end): all, critical, confirmed (escalated or in a
    case), dismissed, promotion abuse."""
    return alerts_detected(start, end).aggregate(
        alerts=Count("pk"),
        critical=Count("pk", filter=Q(severity=Severity.CRITICAL)),
        confirmed=Count("pk", filter=Q(status__in=CONFIRMED_STATUSES)),
        dismissed=Count("pk", filter=Q(status=Status.DISMISSED)),
        promo=Count("pk", filter=Q(category=Category.PROMO_ABUSE)),
    )


def sla_tally(start: datetime, end: datetime, now: datetime) -> dict[str, int]:
    """Alerts whose SLA fell due in [start, end), and how many of them were breached
    (sla_breached) as of `now`."""
    return Alert.objects.filter(sla_due_at__gte=start, sla_due_at__lt=end).aggregate(
        due=Count("pk"), missed=Count("pk", filter=sla_breached(now))
    )


def open_detected_before(end: datetime) -> dict[str, int]:
    """Of the alerts detected before `end`, how many are open now, and unclaimed."""
    return Alert.objects.filter(detected_at__lt=end, status__in=OPEN_STATUSES).aggregate(
        open=Count("pk"), unclaimed=Count("pk", filter=Q(status=Status.NEW))
    )


DECIDED_STATUSES = (Status.DISMISSED, Status.ESCALATED, Status.IN_CASE)


def shift_tally(start: datetime, end: datetime) -> dict[str, int]:
    """What a shift [start, end) did with alerts, and what it leaves: claimed, dismissed,
    escalated and put into cases in it; SLAs it missed (due in it, breached by its end);
    open, unclaimed and open past SLA at its end."""
    decided = Q(decided_at__gte=start, decided_at__lt=end)
    missed = Q(sla_due_at__gte=start, sla_due_at__lt=end) & sla_breached(end)
    return Alert.objects.aggregate(
        claimed=Count("pk", filter=Q(claimed_at__gte=start, claimed_at__lt=end)),
        dismissed=Count("pk", filter=decided & Q(status=Status.DISMISSED)),
        escalated=Count("pk", filter=decided & Q(status=Status.ESCALATED)),
        into_cases=Count("pk", filter=decided & Q(status=Status.IN_CASE)),
        sla_breached=Count("pk", filter=missed),
        open_alerts=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        unclaimed=Count("pk", filter=Q(status=Status.NEW)),
        open_breached=Count("pk", filter=Q(status__in=OPEN_STATUSES) & sla_breached(end)),
    )


def handling_times(
    start: datetime, end: datetime, *, cap: int
) -> list[tuple[datetime, datetime | None, datetime | None, str]]:
    """(first seen, claimed, decided, status) of up to `cap` alerts claimed or decided in
    [start, end), in no order."""
    decided = Q(decided_at__gte=start, decided_at__lt=end, status__in=DECIDED_STATUSES)
    return list(
        Alert.objects.filter(Q(claimed_at__gte=start, claimed_at__lt=end) | decided)
        .values_list("first_seen", "claimed_at", "decided_at", "status")
        .order_by()[:cap]
    )


def market_stress_readings(
    start: datetime, end: datetime, *, limit: int
) -> list[tuple[str, str, dict[str, Any], datetime, int]]:
    """(symbol, severity, metrics, detected at, id) of the `market_stress` alerts first
    seen in [start, end), newest first."""
    return list(
        Alert.objects.filter(
            category=Category.MARKET_STRESS, first_seen__gte=start, first_seen__lt=end
        )
        .values_list("symbol", "severity", "metrics", "detected_at", "pk")
        .order_by("-first_seen")[:limit]
    )
