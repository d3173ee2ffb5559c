"""Asking for the daily report and building it.

A request writes a queued row (a new version of its days) and, after commit, sends the build
to the `reports` queue; without Redis the build runs in-process once the request commits.
The build claims the row with a conditional update, so a message delivered twice builds
once. The end-of-day scan asks for yesterday's report with `scheduled=True`: the partial
unique constraint lets exactly one scheduler's row in, whatever runs alongside."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apps.desk.errors import DomainError
from apps.reports.daily.sections import sections
from apps.reports.daily.window import Window, iso
from apps.reports.models import DailyReport

if TYPE_CHECKING:
    from apps.people.models import User

log = logging.getLogger(__name__)

MAX_DAYS = 31
SCHEDULER = "daily_reports_make"
# A build claimed this long ago and not finished died with its worker.
STALE_AFTER = timedelta(minutes=30)
# A queued build nobody took this long after asking is sent again (a lost message).
RESEND_AFTER = timedelta(minutes=5)


class ReportError(DomainError):
    pass


def utc_today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(UTC).date()


def daily_report_request(
    *,
    first_day: date,
    last_day: date | None = None,
    by: User | None,
    now: datetime | None = None,
) -> DailyReport:
    """A new version of the report for [first_day, last_day], built after commit."""
    report = _new_version(first_day, last_day or first_day, by=by, scheduled=False, now=now)
    assert report is not None  # only a scheduled request can find its place taken
    return report


def daily_report_schedule(*, day: date, now: datetime | None = None) -> DailyReport | None:
    """The end-of-day report of `day`; None when it has one already (another scheduler)."""
    return _new_version(day, day, by=None, scheduled=True, now=now)


def _new_version(
    first_day: date, last_day: date, *, by: User | None, scheduled: bool, now: datetime | None
) -> DailyReport | None:
    now = now or timezone.now()
    if last_day < first_day:
        raise ReportError("The last day comes before the first.")
    if last_day > utc_today(now):
        raise ReportError(f"{last_day:%Y-%m-%d} has not begun yet (UTC).")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ReportError(f"A report covers at most {MAX_DAYS} days.")
    for _ in range(5):  # two people rebuilding the same days at once: the loser takes the next
        try:
            with transaction.atomic():
                same = DailyReport.objects.filter(first_day=first_day, last_day=last_day)
                version = (same.aggregate(v=Max("version"))["v"] or 0) + 1
                report = DailyReport.objects.create(
                    first_day=first_day,
                    last_day=last_day,
                    version=version,
                    scheduled=scheduled,
                    requested_by=by,
                    requested_at=now,
                )
        except IntegrityError:
            if (
                scheduled
                and DailyReport.objects.filter(first_day=first_day, scheduled=True).exists()
            ):
                return None
            continue
        transaction.on_commit(partial(_send, report.pk))
        return report
    raise ReportError("Too many builds of these days were asked for at once; try again.")


def _send(report_id: int) -> None:
    from apps.reports.tasks import daily_report_build

    daily_report_build.delay(report_id)


def daily_report_build(*, report_id: int, now: datetime | None = None) -> DailyReport | None:
    """Build a queued report, section by section (the page polls `sections_done`)."""
    specs = sections()
    started = timezone.now()
    claimed = DailyReport.objects.filter(pk=report_id, status=DailyReport.Status.QUEUED).update(
        status=DailyReport.Status.BUILDING, started_at=started, sections_total=len(specs)
    )
    if not claimed:
        return None  # built, or being built, by another delivery
    report = DailyReport.objects.select_related("requested_by").get(pk=report_id)
    window = Window(report.first_day, report.last_day, now or started)
    built = []
    for done, spec in enumerate(specs, start=1):
        try:
            built.append(spec.collect(window).as_json())
        except Exception as error:  # one broken section must not cost the others
            log.exception("daily report %s: section %s failed", report_id, spec.key)
            built.append({"key": spec.key, "title": spec.key, "error": str(error)[:300]})
        DailyReport.objects.filter(pk=report_id).update(sections_done=done)
    report.content = {
        "start": iso(window.start),
        "end": iso(window.end),
        "read_at": iso(window.now),
        "partial": window.end > window.now,
        "sections": built,
    }
    report.status = DailyReport.Status.READY
    report.built_at = timezone.now()
    # Who the build is for: the person who asked, or the end-of-day scan.
    report.built_by = report.requested_by.username if report.requested_by else SCHEDULER
    report.sections_done = len(specs)
    report.save(update_fields=["content", "status", "built_at", "built_by", "sections_done"])
    if report.scheduled:
        transaction.on_commit(partial(_mail, report.pk))
    return report


def _mail(report_id: int) -> None:
    from apps.reports.tasks import daily_report_mail

    daily_report_mail.delay(report_id)


def daily_reports_make_due(*, now: datetime | None = None) -> list[DailyReport]:
    """The end-of-day scan: yesterday's scheduled report if it has none; builds whose
    message was lost sent again; builds whose worker died marked failed."""
    now = now or timezone.now()
    yesterday = utc_today(now) - timedelta(days=1)
    made = []
    if not DailyReport.objects.filter(first_day=yesterday, scheduled=True).exists():
        report = daily_report_schedule(day=yesterday, now=now)
        if report is not None:
            made.append(report)
    for pk in DailyReport.objects.filter(
        status=DailyReport.Status.QUEUED, requested_at__lt=now - RESEND_AFTER
    ).values_list("pk", flat=True):
        transaction.on_commit(partial(_send, pk))
    DailyReport.objects.filter(
        status=DailyReport.Status.BUILDING, started_at__lt=now - STALE_AFTER
    ).update(status=DailyReport.Status.FAILED, error="The build stopped (its worker died).")
    return made
