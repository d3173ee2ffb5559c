"""Celery tasks on the `reports` queue (riskdesk.celery routes apps.reports.tasks.*)."""

from celery import shared_task

from apps.desk.history import acting_task
from apps.reports.services import shift_reports_make_due
from riskdesk.celery import Scan


@shared_task(base=Scan)
def shift_reports_make() -> int:
    with acting_task("shift_reports_make"):
        return len(shift_reports_make_due())
