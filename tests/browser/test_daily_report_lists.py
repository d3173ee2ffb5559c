"""From the daily report's cluster and restriction figures to the lists behind them, in a real
browser, as the supervisor reads them."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD
from tests.reports.daily_desk import DAY, known_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cluster_and_restriction_figures_open_their_lists(new_page) -> None:
    known_day()
    page = new_page()
    sign_in(page, "sam", PASSWORD)
    page.goto("/shifts/daily/")
    page.fill("input[name=first_day]", DAY.isoformat())
    page.fill("input[name=last_day]", DAY.isoformat())
    page.click("text=Build")
    page.wait_for_url("**/shifts/daily/*/")
    report = page.url

    page.locator("#s-anomalies .kri a.panel", has_text="Control clusters that grew").click()
    page.wait_for_url("**/accounts/clusters/**")
    expect(page.locator("h1")).to_have_text("Control clusters")
    rows = page.locator(".panel table.grid tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("C-OLD")
    screenshot(page, "clusters-grown-1366")

    page.goto(report)
    page.locator("#s-restrictions .kri a.panel", has_text="Lifted in the window").click()
    page.wait_for_url("**/actions/**restriction=lifted**")
    expect(page.locator("p.muted.small")).to_contain_text("was lifted from")
    expect(page.locator(".panel table.grid tbody tr")).to_have_count(1)
    screenshot(page, "actions-restrictions-lifted-1366")
