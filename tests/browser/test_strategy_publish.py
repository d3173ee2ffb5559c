"""Strategy publishes a threshold version with a second person: a win rate above 1 is
refused with its bounds, the draft shows what it changed, the publish waits for a
supervisor, who approves it from the rule page."""

import pytest

from apps.detection.models import DetectionRule
from apps.detection.services import live_settings
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_strategy_publishes_a_threshold_version_with_a_second_person(
    new_page, strategist, supervisor
) -> None:
    live_settings()
    tess = new_page()
    sign_in(tess, "tess", PASSWORD)
    assert tess.get_by_role("heading", name="Waiting for a second person").is_visible()
    screenshot(tess, "strategy-home")
    tess.goto("/detection/rules/abnormal_pnl/")
    row = tess.locator("tr", has=tess.locator("label[for=p-min_win_rate]"))
    assert "share of closing trades that won" in row.inner_text() and "0 to 1" in row.inner_text()
    tess.fill("#p-min_win_rate", "1.2")
    tess.fill("#note", "fewer false positives from lucky streaks")
    tess.click("button:has-text('Save as draft version')")
    assert "must be at most 1" in tess.locator("[role=alert]").first.inner_text()
    assert tess.input_value("#p-min_win_rate") == "1.2"  # kept as typed
    tess.fill("#p-min_win_rate", "0.9")
    tess.click("button:has-text('Save as draft version')")
    tess.wait_for_url("**/detection/rules/abnormal_pnl/")
    assert "min_win_rate: 0.8 → 0.9" in tess.locator("text=min_win_rate: 0.8").inner_text()
    tess.fill("input[aria-label='Why publish v2']", "backtest: 3 fewer FPs, same cases")
    tess.click("button:has-text('Ask to publish')")
    assert tess.locator("text=waiting for a second person").first.is_visible()
    screenshot(tess, "strategy-publish-requested")
    assert live_settings()[0]["abnormal_pnl"]["min_win_rate"] == 0.8  # not yet

    sam = new_page()
    sign_in(sam, "sam", PASSWORD)
    sam.goto("/detection/rules/abnormal_pnl/")
    change = sam.locator("tr[id^=change-]").first
    assert "Publish v2" in change.inner_text() and "3 fewer FPs" in change.inner_text()
    change.locator("button:has-text('Approve')").click()
    sam.wait_for_url("**/detection/rules/abnormal_pnl/")
    assert "Approved and made — Sam" in sam.locator("tr[id^=change-]").first.inner_text()
    screenshot(sam, "strategy-publish-approved")
    assert live_settings()[0]["abnormal_pnl"]["min_win_rate"] == 0.9
    live = DetectionRule.objects.get(code="abnormal_pnl").live_version
    assert live is not None and live.number == 2
