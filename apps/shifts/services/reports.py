"""Storing a shift's report. The reports app reads the shift and decides its figures
(apps.reports.services.shift_report_make); the table is this app's, so its rows are
written here, once per shift."""

from typing import Any

from django.db import IntegrityError, transaction

from apps.shifts.models import Shift, ShiftReport


def shift_report_store(*, shift: Shift, made_at: Any, figures: dict[str, Any]) -> ShiftReport:
    """Store `shift`'s report; the one stored first when another was stored meanwhile.

    The one-to-one on `shift` is the once-guard: a second scheduler making the same report
    at the same moment loses on the constraint and reads the winner's."""
    try:
        with transaction.atomic():
            return ShiftReport.objects.create(shift=shift, made_at=made_at, figures=figures)
    except IntegrityError:
        return ShiftReport.objects.get(shift=shift)
