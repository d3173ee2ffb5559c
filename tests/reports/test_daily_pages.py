"""The daily report read anywhere: the page (supervisor, strategy, auditor; nobody else),
progress while it builds, CSV / XLSX with formulas neutralised, a PDF, the mailing list."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from apps.reports.daily.build import daily_report_build, daily_report_request
from apps.reports.models import DailyReport, ReportRecipient
from tests.factories import make_person
from tests.reports.daily_desk import DAY, at, known_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(django_capture_on_commit_callbacks) -> DailyReport:
    desk = known_day()
    with django_capture_on_commit_callbacks(execute=False):
        asked = daily_report_request(first_day=DAY, by=desk.sam, now=at(30))
    built = daily_report_build(report_id=asked.pk, now=at(30))
    assert built is not None
    return built


def client_for(role: str | None, name: str = "") -> Client:
    client = Client()
    client.force_login(make_person(name or f"reader-{role}", role))
    return client


@pytest.mark.parametrize("role", ["supervisor", "strategy", "auditor"])
def test_supervisors_strategy_and_auditors_read_the_report(report, role) -> None:
    page = client_for(role).get(reverse("reports:daily", args=[report.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "UTC day 2026-11-20" in html
    assert "Anomalies found" in html and "Open items carried into tomorrow" in html
    # a figure is a link to the list behind it
    assert "/alerts/?status=all&amp;since=2026-11-20T00%3A00%3A00Z" in html
    assert reverse("reports:daily_chart", args=[report.pk, "anomalies", "by_category"]) in html


@pytest.mark.parametrize("role", ["operator", "customer_service", None])
def test_other_roles_are_refused_the_report_and_its_files(report, role) -> None:
    client = client_for(role)
    for name in ("daily", "daily_csv", "daily_xlsx", "daily_pdf"):
        assert client.get(reverse(f"reports:{name}", args=[report.pk])).status_code == 403
    assert client.get(reverse("reports:daily_list")).status_code == 403


def test_the_page_reads_in_a_fixed_number_of_queries(report) -> None:
    client = client_for("auditor")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:daily", args=[report.pk])).status_code == 200
    # session, user, roles, on-duty header, notifications badge…; none per figure
    assert len(queries) <= 11, [q["sql"] for q in queries]


def test_a_supervisor_asks_for_a_build_and_the_page_shows_it_building(
    supervisor, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(supervisor)
    # No Redis in tests: the build runs in-process once the request commits (as the
    # console without REDIS_URL does), so the answer is the finished report.
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("reports:daily_request"), {"first_day": "2026-11-20"})
    report = DailyReport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "reports:daily", args=[report.pk]
    )
    assert report.status == "ready" and report.built_by == "sam"
    # While a build runs, the page polls its progress fragment.
    DailyReport.objects.filter(pk=report.pk).update(status="building", sections_done=3)
    poll = client.get(reverse("reports:daily", args=[report.pk]), headers={"HX-Request": "true"})
    html = poll.content.decode()
    assert 'id="progress"' in html and "3 of " in html and 'hx-trigger="every 1s"' in html
    assert "<h1>" not in html  # only the fragment
    DailyReport.objects.filter(pk=report.pk).update(status="ready")
    done = client.get(reverse("reports:daily", args=[report.pk]), headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_auditors_cannot_ask_for_a_build_and_bad_days_get_a_message(supervisor) -> None:
    assert (
        client_for("auditor")
        .post(reverse("reports:daily_request"), {"first_day": "2026-11-20"})
        .status_code
        == 403
    )
    client = Client()
    client.force_login(supervisor)
    answer = client.post(reverse("reports:daily_request"), {"first_day": "20/11/2026"}, follow=True)
    assert "Give the first day as YYYY-MM-DD" in answer.content.decode()
    answer = client.post(reverse("reports:daily_request"), {"first_day": "2099-01-01"}, follow=True)
    assert "has not begun yet" in answer.content.decode()
    assert not DailyReport.objects.exists()


def test_the_csv_has_every_table_and_no_cell_runs_as_a_formula(report) -> None:
    answer = client_for("auditor").get(reverse("reports:daily_csv", args=[report.pk]))
    assert answer["Content-Disposition"] == 'attachment; filename="daily-report-2026-11-20-v1.csv"'
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    cells = [c for row in rows for c in row]
    assert "'=HYPERLINK" in cells and "=HYPERLINK" not in cells
    assert "'=gateway 502" in cells
    titles = {t["title"] for s in report.content["sections"] for t in s["tables"]}
    assert titles <= set(cells)
    assert ["Alerts detected", "10", ""] in rows


def test_the_xlsx_has_a_sheet_per_section_and_no_formula(report) -> None:
    answer = client_for("strategy").get(reverse("reports:daily_xlsx", args=[report.pk]))
    book = load_workbook(io.BytesIO(answer.content))
    assert len(book.sheetnames) == len(report.content["sections"])
    values = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    assert "'=HYPERLINK" in values and "=HYPERLINK" not in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert 10 in values  # numbers stay numbers


def test_the_pdf_is_a_pdf_with_the_report_in_it(report) -> None:
    import pypdfium2 as pdfium

    answer = client_for("auditor").get(reverse("reports:daily_pdf", args=[report.pk]))
    assert answer["Content-Type"] == "application/pdf"
    pdf = pdfium.PdfDocument(answer.content)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert len(pdf) >= 2
    assert "Daily risk-control report" in text and "UTC day 2026-11-20" in text
    assert "Alerts detected" in text and "Open items carried into tomorrow" in text


def test_a_supervisor_keeps_the_mailing_list_with_history(supervisor) -> None:
    client = Client()
    client.force_login(supervisor)
    url = reverse("reports:recipients")
    assert client.post(url, {"email": "not-an-address"}).status_code == 200
    assert not ReportRecipient.objects.exists()
    client.post(url, {"email": "head@desk.example", "name": "Head of risk"})
    recipient = ReportRecipient.objects.get()
    change = reverse("reports:recipient_change", args=[recipient.pk])
    client.post(change)
    recipient.refresh_from_db()
    assert recipient.active is False
    assert [h.history_user for h in recipient.history.all()] == [supervisor, supervisor]
    client.post(change, {"do": "remove"})
    assert not ReportRecipient.objects.exists()
    assert client_for("strategy").get(url).status_code == 403
    assert client_for("auditor").post(url, {"email": "x@desk.example"}).status_code == 403


def test_the_handover_and_the_dashboard_link_to_the_daily_report(operator, supervisor) -> None:
    from apps.shifts.models import Handover
    from tests.shifts.helpers import make_shift, now

    shift = make_shift(starts_at=now() - timedelta(hours=13), operators=[operator])
    handover = Handover.objects.create(
        from_shift=shift, note="quiet", written_by=operator, written_at=now()
    )
    daily = reverse("reports:daily_list")
    client = Client()
    client.force_login(supervisor)
    assert daily in client.get(reverse("reports:dashboard")).content.decode()
    assert daily in client.get(reverse("shifts:handover", args=[handover.pk])).content.decode()
    # operators cannot open the report, so their handover page does not offer it
    client.force_login(operator)
    assert daily not in client.get(reverse("shifts:handover", args=[handover.pk])).content.decode()
