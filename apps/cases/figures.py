"""The figures the reports count from cases: the handover's open cases, the shift
dashboard's and the daily report's tallies over a window (apps.reports reads them here)."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from apps.cases.models import OPEN_STATUSES, Case, Escalation


def cases_open() -> QuerySet[Case]:
    """Every open case, the most pressing first, with its assignee."""
    return (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .select_related("assignee")
        .order_by("-priority", "due_at", "pk")
    )


def case_tally(start: datetime, end: datetime) -> dict[str, int]:
    """Cases opened and closed in [start, end), and open now."""
    return Case.objects.aggregate(
        opened=Count("pk", filter=Q(opened_at__gte=start, opened_at__lt=end)),
        closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    )


def open_cases_opened_before(end: datetime) -> int:
    return Case.objects.filter(opened_at__lt=end, status__in=OPEN_STATUSES).count()


def escalations_raised(start: datetime, end: datetime) -> QuerySet[Escalation]:
    """The escalations raised in [start, end)."""
    return Escalation.objects.filter(raised_at__gte=start, raised_at__lt=end)


def open_escalations_raised_before(end: datetime) -> int:
    """Escalations raised before `end` that nobody has acknowledged yet."""
    return Escalation.objects.filter(raised_at__lt=end, state=Escalation.State.OPEN).count()
