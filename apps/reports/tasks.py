"""Celery tasks on the `reports` queue (riskdesk.celery routes apps.reports.tasks.*)."""

from celery import shared_task

from apps.desk.history import acting_task
from apps.reports.daily.build import SCHEDULER, daily_reports_make_due
from apps.reports.daily.build import daily_report_build as build
from apps.reports.daily.mail import daily_report_send
from apps.reports.services import shift_reports_make_due
from riskdesk.celery import Scan


@shared_task(base=Scan)
def shift_reports_make() -> int:
    with acting_task("shift_reports_make"):
        return len(shift_reports_make_due())


@shared_task(base=Scan)
def daily_reports_make() -> int:
    """Beat, every few minutes: yesterday's report once the UTC day is over (exactly once,
    however many schedulers run: apps.reports.daily.build)."""
    with acting_task(SCHEDULER):
        return len(daily_reports_make_due())


# A long day's report takes tens of seconds; the default limits are for scans.
@shared_task(soft_time_limit=600, time_limit=660)
def daily_report_build(report_id: int) -> bool:
    with acting_task("daily_report_build"):
        return build(report_id=report_id) is not None


@shared_task
def daily_report_mail(report_id: int) -> int:
    with acting_task("daily_report_mail"):
        return daily_report_send(report_id=report_id)
