import pytest

from apps.detection.rules.base import explain
from tests.alerts.payloads import stored_alert
from tests.browser.conftest import screenshot, sign_in
from tests.cases.feed import feed_window
from tests.factories import PASSWORD, ControlClusterFactory, ExchangeAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_sees_why_an_alert_fired_and_the_trades_behind_it(
    new_page, operator, tmp_path
) -> None:
    cluster = ControlClusterFactory(key="U1001", size=2)
    ExchangeAccountFactory(account_id="U1001", cluster=cluster)
    ExchangeAccountFactory(account_id="U1002", cluster=cluster)
    trade_ids, _ = feed_window(tmp_path / "demo-20261120", ["U1001", "U1002"])
    alert = stored_alert(
        1,
        dedup_key="abnormal_pnl:U1001:-:2026-11-20",
        rule="abnormal_pnl",
        category="abnormal_pnl",
        severity="high",
        score=71.4,
        symbol=None,
        accounts=["U1001", "U1002"],
        summary="U1001 realised 302,206 USDT in a day, winning 93% of 27 closing fills",
        metrics={"realized_pnl": 302206.44, "win_rate": 0.926, "closing_fills": 27},
        evidence={
            "trade_ids": trade_ids,
            "order_ids": [],
            "explain": [
                explain("realised profit that day", 302_206.44, "USDT", 50_000),
                explain("closing fills won", 92.6, "%", 80),
                explain("closing fills", 27, "fills", 10),
            ],
        },
    )
    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.goto(f"/alerts/{alert.pk}/")
    why = page.locator("section.why")
    assert "302,206 USDT" in why.inner_text() and "≥ 50,000 USDT" in why.inner_text()
    assert why.is_visible() and why.bounding_box()["y"] < 768
    screenshot(page, "alert-explained")
    page.locator("#behind").scroll_into_view_if_needed()
    assert page.locator("section:has(#behind) tbody tr").count() == len(trade_ids)
