"""The rota in a real browser: a week with a coverage gap, and a handover between two sessions."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from apps.alerts.services import alert_claim
from apps.shifts.demo import demo_rota_create
from apps.shifts.models import Assignment, Handover, Shift
from tests.alerts.payloads import stored_alert
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_person
from tests.shifts.helpers import make_pattern, make_shift, now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _rota(operator, nikhil, supervisor):
    """Olga's day ends in an hour, Nikhil's night follows; the next day nobody is on."""
    day, night = make_pattern("day"), make_pattern("night")
    outgoing = make_shift(starts_at=now() - timedelta(hours=11), operators=[operator],
                          supervisor=supervisor, pattern=day)  # fmt: skip
    incoming = make_shift(starts_at=outgoing.ends_at, operators=[nikhil], supervisor=supervisor,
                          pattern=night)  # fmt: skip
    gap = make_shift(starts_at=incoming.ends_at, supervisor=supervisor, pattern=day)
    for offset in range(1, 6):
        start = gap.ends_at + timedelta(hours=24 * (offset - 1))
        make_shift(starts_at=start, operators=[nikhil], supervisor=supervisor, pattern=night)
        make_shift(starts_at=start + timedelta(hours=12), operators=[operator],
                   supervisor=supervisor, pattern=day)  # fmt: skip
    return outgoing, incoming, gap


def test_the_calendar_shows_a_coverage_gap_and_weeks_move_by_keyboard(
    new_page, operator, supervisor, settings
) -> None:
    settings.DESK_TIME_ZONE = "Europe/London"
    make_person("nikhil", "operator")
    demo_rota_create()  # weekend days have no standing operator: flagged gaps
    gap = Shift.objects.filter(pattern__code="weekend-day", ends_at__gt=now()).first()
    assert gap is not None
    page = new_page()
    page.emulate_media(color_scheme="dark")
    sign_in(page, "sam", PASSWORD)
    assert "Supervisor: Sam" in page.locator("#on-duty").inner_text()
    page.keyboard.press("g")
    page.keyboard.press("s")
    page.wait_for_url("**/shifts/**")
    card = page.locator(f'a.shift[href="/shifts/{gap.pk}/"]')
    if not card.count():  # this week's weekend is over: the gap is next week's
        page.keyboard.press("n")
        card.wait_for()
    assert "no operator" in card.inner_text()
    assert page.locator(".gaps").is_visible()
    screenshot(page, "shifts-calendar")
    heading = page.locator("h1").inner_text()
    page.keyboard.press("n")
    expect(page.locator("h1")).not_to_have_text(heading)
    assert "/shifts/?week=" in page.url  # htmx pushed the week into the address
    page.keyboard.press("p")
    expect(page.locator("h1")).to_have_text(heading)
    page.keyboard.press("t")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    screenshot(page, "shifts-calendar-light")


def test_the_outgoing_operator_writes_a_handover_the_incoming_one_acknowledges(
    new_page, operator, supervisor
) -> None:
    nikhil = make_person("nikhil", "operator")
    _rota(operator, nikhil, supervisor)
    # Open work riskdesk must list by itself: two unclaimed alerts, one Olga still holds.
    spoofs = [stored_alert(n, rule="large_cancel", category="large_cancel") for n in (1, 2)]
    held = alert_claim(alert=stored_alert(3), by=operator)
    olga = new_page()
    sign_in(olga, "olga", PASSWORD)
    olga.goto("/shifts/handovers/")
    note = "BTC-PERP: two spoofing alerts still open.\nCall Sam if funding spikes."
    olga.fill("textarea[name=note]", note)
    olga.click("text=Write the handover")
    olga.wait_for_url("**/shifts/handovers/*/")
    assert olga.locator("#handover-status").inner_text() == "awaiting acknowledgement"
    assert olga.locator("#acknowledge").count() == 0  # the writer cannot acknowledge
    unclaimed = olga.locator("section.handover-section", has_text="Unclaimed alerts")
    for alert in spoofs:
        expect(unclaimed.locator(f'a[href="/alerts/{alert.pk}/"]')).to_be_visible()
    claimed = olga.locator("section.handover-section", has_text="Claimed alerts still open")
    expect(claimed).to_contain_text(f"held by {operator}")
    expect(claimed.locator(f'a[href="/alerts/{held.pk}/"]')).to_be_visible()
    screenshot(olga, "shifts-handover-written")

    nik = new_page()
    sign_in(nik, "nikhil", PASSWORD)
    nik.goto("/shifts/handovers/")
    nik.locator("text=Handed to you").wait_for()
    nik.locator(".attention tr[data-href]").first.focus()
    nik.keyboard.press("Enter")
    nik.wait_for_url("**/shifts/handovers/*/")
    assert "two spoofing alerts" in nik.locator(".note").inner_text()
    items = nik.locator("section.handover-section", has_text="Unclaimed alerts")
    expect(items.locator("h3")).to_contain_text("(2)")
    nik.locator("#acknowledge").focus()
    nik.keyboard.press("Enter")
    nik.locator("text=Handover acknowledged.").wait_for()
    assert nik.locator("#handover-status").inner_text() == "acknowledged"
    screenshot(nik, "shifts-handover-acknowledged")

    olga.reload()
    assert olga.locator("#handover-status").inner_text() == "acknowledged"
    assert Handover.objects.get().acknowledged_by == nikhil


def test_the_shift_dashboard_shows_the_shifts_indicators_and_refreshes(
    new_page, operator, supervisor, settings
) -> None:
    settings.SHIFT_DASHBOARD_POLL_SECONDS = 2
    from tests.reports.test_dashboard import shift_with_work

    nikhil = make_person("nikhil", "operator")
    shift = shift_with_work(operator, supervisor)
    for n, (category, severity) in enumerate(
        [("promo_abuse", "medium")] * 6 + [("large_cancel", "high")] * 3 + [("other", "low")] * 4
    ):
        stored_alert(200 + n, category=category, rule=category, severity=severity)
    stress = {"mark_index_gap": 0.004, "max_move": 0.052, "liquidated_accounts": 21}
    stored_alert(300, category="market_stress", rule="market_stress", accounts=[],
                 symbol="BTCUSDT", severity="high", metrics=stress)  # fmt: skip
    Assignment.objects.create(shift=shift, person=nikhil)
    page = new_page()
    sign_in(page, "sam", PASSWORD)
    page.locator("#home-dashboard").click()
    page.wait_for_url("**/shifts/dashboard/")
    expect(page.locator("#platform")).to_contain_text("ETHUSDT")
    expect(page.locator("#platform")).to_contain_text("BTCUSDT")
    expect(page.locator("#board svg.hbar").first).to_be_visible()
    stored_alert(400, severity="critical")  # arrives while the page is open
    # The board polls by itself (every 2 s here): the new alert shows without a reload.
    expect(page.locator("#board .kri .figure").first).to_have_text("21", timeout=6_000)
    screenshot(page, "shift-dashboard")
    page.keyboard.press("t")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "shift-dashboard-dark")
