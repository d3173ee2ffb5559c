"""The daily report in a real browser: a supervisor builds a past day, reads it, follows a
figure to the alert queue behind it; the PDF's first pages rendered to PNG."""

import pytest
from playwright.sync_api import expect

from apps.reports.daily.pdf import report_pdf
from apps.reports.models import DailyReport
from tests.alerts.payloads import stored_alert
from tests.browser.conftest import DOCS, screenshot, sign_in
from tests.factories import PASSWORD
from tests.reports.daily_desk import DAY, at, known_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MORE = [
    ("linked_mutual_trade", "high", "ETHUSDT"),
    ("common_control", "medium", "SOLUSDT"),
    ("frequent_cancel", "low", "BTCUSDT"),
    ("unauthorized_algo", "medium", "XRPUSDT"),
    ("abnormal_pnl", "high", "DOGEUSDT"),
]


def busier_day() -> None:
    """The known day, with more alerts spread over categories so the charts have shape."""
    known_day()
    for n in range(40):
        category, severity, symbol = MORE[n % len(MORE)]
        stored_alert(
            500 + n,
            category=category,
            rule=category,
            severity=severity,
            symbol=symbol,
            dedup_key=f"busy:{n}",
            detected_at=at(n * 0.5).isoformat(),
        )


def test_a_supervisor_builds_a_day_reads_it_and_follows_a_figure(new_page, settings) -> None:
    settings.DESK_TIME_ZONE = "Asia/Singapore"
    busier_day()
    page = new_page()
    sign_in(page, "sam", PASSWORD)
    page.keyboard.press("g")
    page.keyboard.press("d")
    page.wait_for_url("**/shifts/daily/")
    page.fill("input[name=first_day]", DAY.isoformat())
    page.fill("input[name=last_day]", DAY.isoformat())
    page.click("text=Build")
    page.wait_for_url("**/shifts/daily/*/")
    expect(page.locator("h1")).to_contain_text("Daily risk-control report: 2026-11-20")
    window = page.locator("p.window").inner_text()
    assert "UTC day 2026-11-20" in window and "Fri 20 Nov 2026 08:00" in window
    report = DailyReport.objects.get()
    assert report.status == "ready"
    # the charts load (matplotlib SVG served by the console)
    chart = page.locator("#s-anomalies img.daily-chart").first
    expect(chart).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", chart.element_handle()) > 100
    screenshot(page, "daily-report-1366")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(DOCS / "daily-report.png"), full_page=True)

    alerts = page.locator("#s-anomalies .kri a.panel").first
    shown = int(alerts.locator(".figure").inner_text().replace(",", ""))
    assert shown == 50
    alerts.click()
    page.wait_for_url("**/alerts/**")
    expect(page.locator("form.filters")).to_contain_text("since")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(shown)


def test_the_pdf_renders_as_pages_that_read_as_a_report(db) -> None:
    import pypdfium2 as pdfium

    from apps.reports.daily.build import daily_report_request

    busier_day()
    # outside a transaction the build runs at once, in-process (no Redis here)
    asked = daily_report_request(first_day=DAY, by=None, now=at(30))
    report = DailyReport.objects.get(pk=asked.pk)
    pdf = pdfium.PdfDocument(report_pdf(report))
    assert len(pdf) >= 3
    for number in (0, 1):
        image = pdf[number].render(scale=1.6).to_pil()
        image.save(DOCS / f"daily-report-pdf-page{number + 1}.png")
        assert image.width > 900
