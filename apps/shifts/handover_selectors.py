"""Reads of what a shift leaves the next: its handover (to write, to acknowledge, overdue,
missing) and its report (apps.reports decides the figures, apps.shifts stores them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from apps.shifts.models import Handover, Shift, ShiftReport
from apps.shifts.selectors import my_shifts

if TYPE_CHECKING:
    from apps.people.models import User


def my_handover_shift(person: User, now: datetime | None = None) -> Shift | None:
    """The shift whose handover `person` writes now: the one they are on, or just ended."""
    now = now or datetime.now(UTC)
    shifts = my_shifts(person, now - timedelta(hours=6), now + timedelta(seconds=1))
    started = [s for s in shifts if s.starts_at <= now]
    return started[-1] if started else None


def handovers_to_acknowledge(person: User) -> list[Handover]:
    crew = Q(to_shift__supervisor=person) | Q(to_shift__assignments__person=person)
    open_ = [Handover.Status.WRITTEN, Handover.Status.OVERDUE]
    return list(
        Handover.objects.filter(crew, status__in=open_)
        .exclude(written_by=person)
        .select_related("from_shift__pattern", "written_by")
        .distinct()
    )


def handovers_recent(limit: int = 20) -> list[Handover]:
    return list(
        Handover.objects.select_related(
            "from_shift__pattern", "to_shift__pattern", "written_by", "acknowledged_by"
        )[:limit]
    )


def handovers_overdue() -> list[Handover]:
    return list(
        Handover.objects.filter(status=Handover.Status.OVERDUE).select_related(
            "from_shift__pattern", "written_by"
        )
    )


def shifts_without_handover(now: datetime | None = None, hours: int = 24) -> list[Shift]:
    """Shifts that ended in the last `hours` and left no handover."""
    now = now or datetime.now(UTC)
    return list(
        Shift.objects.filter(
            ends_at__lte=now, ends_at__gt=now - timedelta(hours=hours), handover__isnull=True
        ).select_related("pattern")
    )


def shifts_ended_unreported(now: datetime, *, days: int) -> QuerySet[Shift]:
    """Shifts that ended in the `days` before `now` and have no report yet, in order."""
    return Shift.objects.filter(
        ends_at__lte=now, ends_at__gt=now - timedelta(days=days), report__isnull=True
    ).order_by("ends_at")


def _reports() -> QuerySet[ShiftReport]:
    return ShiftReport.objects.select_related("shift__pattern", "shift__supervisor")


def shift_report_for(shift: Shift) -> ShiftReport | None:
    return ShiftReport.objects.filter(shift=shift).first()


def shift_reports_recent(limit: int = 60) -> list[ShiftReport]:
    return list(_reports()[:limit])


def shift_report_of(pk: int) -> ShiftReport | None:
    return _reports().filter(pk=pk).first()
