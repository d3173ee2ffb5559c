"""The shift report: made once, when a shift ends, from the dashboard's reading of it.

ShiftReport's table stays in the shifts app (its migrations live there) and shifts stores
its rows (shift_report_store); what goes in them is decided here: the figures span alerts,
cases and actions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.reports.shift_dashboard import read_shift
from apps.shifts.handover_selectors import shift_report_for, shifts_ended_unreported
from apps.shifts.services.reports import shift_report_store

if TYPE_CHECKING:
    from apps.shifts.models import Shift, ShiftReport


def shift_report_make(*, shift: Shift, now: datetime | None = None) -> ShiftReport | None:
    """The report of an ended shift; the existing one if it was made already.

    The one-to-one on `shift` is the once-guard: a second scheduler making the same
    report at the same moment loses on the constraint and reads the winner's.
    """
    now = now or timezone.now()
    if shift.ends_at > now:
        return None
    existing = shift_report_for(shift)
    if existing is not None:
        return existing
    figures = read_shift(shift.starts_at, shift.ends_at, now=now).as_figures()
    return shift_report_store(shift=shift, made_at=now, figures=figures)


def shift_reports_make_due(*, now: datetime | None = None, days: int = 2) -> list[ShiftReport]:
    """Reports for shifts that ended in the last `days` and have none (the beat scan)."""
    now = now or timezone.now()
    due = shifts_ended_unreported(now, days=days)
    made = [shift_report_make(shift=shift, now=now) for shift in due]
    return [report for report in made if report is not None]
