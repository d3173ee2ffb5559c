"""Asking for, building and versioning the daily report; the end-of-day scan builds
yesterday's exactly once, even with two schedulers at the same instant."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from apps.reports import tasks
from apps.reports.daily.build import (
    ReportError,
    daily_report_build,
    daily_report_request,
    daily_reports_make_due,
)
from apps.reports.daily.sections import register_section, sections
from apps.reports.daily.window import Section
from apps.reports.models import DailyReport
from tests.factories import make_person

DAY = date(2026, 11, 20)
AFTER = datetime(2026, 11, 21, 0, 5, tzinfo=UTC)


@pytest.mark.django_db
def test_a_rebuild_is_a_new_version_and_the_first_stays_as_it_was(
    supervisor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = daily_report_request(first_day=DAY, by=supervisor, now=AFTER)
    first.refresh_from_db()
    assert (first.version, first.status, first.built_by) == (1, "ready", "sam")
    assert first.sections_done == first.sections_total == len(sections()) >= 9
    with django_capture_on_commit_callbacks(execute=True):
        second = daily_report_request(first_day=DAY, by=supervisor, now=AFTER)
    second.refresh_from_db()
    first_again = DailyReport.objects.get(pk=first.pk)
    assert second.version == 2 and second.status == "ready"
    assert first_again.content == first.content and first_again.built_at == first.built_at
    assert [r.version for r in DailyReport.objects.filter(first_day=DAY)] == [2, 1]


@pytest.mark.django_db
def test_a_build_delivered_twice_builds_once(
    supervisor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        report = daily_report_request(first_day=DAY, by=supervisor, now=AFTER)
    assert daily_report_build(report_id=report.pk) is not None
    assert daily_report_build(report_id=report.pk) is None
    assert tasks.daily_report_build(report.pk) is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (DAY, DAY - timedelta(days=1), "before the first"),
        (DAY - timedelta(days=40), DAY, "at most 31 days"),
        (date(2030, 1, 1), None, "has not begun"),
    ],
)
def test_bad_days_are_refused_with_a_reason(supervisor, first, last, message) -> None:
    with pytest.raises(ReportError, match=message):
        daily_report_request(first_day=first, last_day=last, by=supervisor, now=AFTER)
    assert not DailyReport.objects.exists()


@pytest.mark.django_db
def test_one_broken_section_is_reported_and_the_others_are_built(
    supervisor, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from apps.reports.daily import sections as registry

    def broken(window) -> Section:
        raise ValueError("no such table")

    monkeypatch.setattr(registry, "_SECTIONS", dict(registry._SECTIONS))
    register_section("broken", broken, order=1)
    with django_capture_on_commit_callbacks(execute=True):
        report = daily_report_request(first_day=DAY, by=supervisor, now=AFTER)
    report.refresh_from_db()
    keys = {s["key"]: s for s in report.content["sections"]}
    assert keys["broken"]["error"] == "no such table"
    assert "figures" in keys["anomalies"] and report.status == "ready"


@pytest.mark.django_db
def test_the_scan_builds_yesterday_once_and_mails_it(
    django_capture_on_commit_callbacks, mailoutbox
) -> None:
    from apps.reports.models import ReportRecipient

    sam = make_person("sam", "supervisor")
    ReportRecipient.objects.create(email="head@desk.example", added_by=sam)
    ReportRecipient.objects.create(email="gone@desk.example", added_by=sam, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        made = daily_reports_make_due(now=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        again = daily_reports_make_due(now=AFTER + timedelta(minutes=5))
    assert len(made) == 1 and again == []
    report = DailyReport.objects.get()
    assert (report.first_day, report.scheduled, report.status) == (DAY, True, "ready")
    assert report.built_by == "daily_reports_make" and report.mailed_at is not None
    [mail] = mailoutbox
    assert mail.bcc == ["head@desk.example"] and "2026-11-20" in mail.subject
    assert mail.attachments[0][0] == "daily-report-2026-11-20-v1.pdf"
    assert mail.attachments[0][1][:5] == b"%PDF-"
    assert "/shifts/daily/" in mail.body


@pytest.mark.django_db
def test_a_build_whose_worker_died_is_marked_failed_and_a_lost_one_sent_again(
    supervisor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        lost = daily_report_request(first_day=DAY, by=supervisor, now=AFTER)
        dead = daily_report_request(first_day=DAY - timedelta(days=1), by=supervisor, now=AFTER)
    DailyReport.objects.filter(pk=dead.pk).update(status="building", started_at=AFTER)
    with django_capture_on_commit_callbacks(execute=True):
        daily_reports_make_due(now=AFTER + timedelta(hours=1))
    assert DailyReport.objects.get(pk=lost.pk).status == "ready"
    assert DailyReport.objects.get(pk=dead.pk).status == "failed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_the_same_instant_build_the_day_exactly_once() -> None:
    start = threading.Barrier(2)
    results: list[object] = [None, None]

    def scan(i: int) -> None:
        try:
            start.wait()
            results[i] = daily_reports_make_due(now=AFTER)
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(len(r) for r in results) == [0, 1]  # type: ignore[arg-type]
    report = DailyReport.objects.get(first_day=DAY)
    assert report.scheduled and report.status == "ready" and report.version == 1
