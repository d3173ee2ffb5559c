"""The shift report: made once, when a shift ends, from the dashboard's reading of it.

ShiftReport's table stays in the shifts app (its migrations live there), but only this
read model writes it: the figures span alerts, cases and actions."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.reports.shift_dashboard import read_shift
from apps.shifts.models import Shift, ShiftReport


def shift_report_make(*, shift: Shift, now: datetime | None = None) -> ShiftReport | None:
    """The report of an ended shift; the existing one if it was made already.

    The one-to-one on `shift` is the once-guard: a second scheduler making the same
    report at the same moment loses on the constraint and reads the winner's.
    """
    now = now or timezone.now()
    if shift.ends_at > now:
        return None
    existing = ShiftReport.objects.filter(shift=shift).first()
    if existing is not None:
        return existing
    figures = read_shift(shift.starts_at, shift.ends_at, now=now).as_figures()
    try:
        with transaction.atomic():
            return ShiftReport.objects.create(shift=shift, made_at=now, figures=figures)
    except IntegrityError:
        return ShiftReport.objects.get(shift=shift)


def shift_reports_make_due(*, now: datetime | None = None, days: int = 2) -> list[ShiftReport]:
    """Reports for shifts that ended in the last `days` and have none (the beat scan)."""
    now = now or timezone.now()
    due = Shift.objects.filter(
        ends_at__lte=now, ends_at__gt=now - timedelta(days=days), report__isnull=True
    ).order_by("ends_at")
    made = [shift_report_make(shift=shift, now=now) for shift in due]
    return [report for report in made if report is not None]
