"""An investigator on a case of linked accounts at 1366 px: the trades read in words and
USDT with totals, and the account under a restriction is marked in every list on the page."""

import pytest

from apps.actions import services
from apps.actions.measures import Measure
from apps.cases.services import case_open
from tests.actions.conftest import request_one
from tests.browser.conftest import sign_in
from tests.cases.feed import feed_window
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_case_trades_read_in_words_and_the_restricted_account_is_marked(
    new_page, operator, tmp_path, django_capture_on_commit_callbacks
) -> None:
    members = linked_cluster(key="C-trades", size=3)
    trade_ids, order_ids = feed_window(tmp_path / "window-1", members.ids, trades=120)
    alert = alert_on(members.ids, evidence={"trade_ids": trade_ids, "order_ids": order_ids[:4]})
    case = case_open(alerts=[alert], by=operator).case
    with django_capture_on_commit_callbacks(execute=True):
        hold = request_one(operator, Measure.WITHDRAWAL_HOLD, account_ids=[members.ids[0]])
    services.action_execute(hold.pk)  # with a broker the worker would; done already without

    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    trades = page.locator("#evidence-trades")
    trades.wait_for()
    headers = trades.locator("thead th").all_text_contents()
    assert headers[:3] == ["Time (UTC)", "Account", "Side"]
    assert "Notional (USDT)" in headers and "Counterparty" in headers
    rows = trades.locator("tbody tr")
    assert rows.count() == len(trade_ids)
    first = rows.first.locator("td").all_text_contents()
    assert first[0] == "11-20 00:00:00" and first[2] == "Buy"
    # The account and its counterparty open their pages; no feed-internal trade id shows.
    assert rows.first.locator("a").first.get_attribute("href") == f"/accounts/{first[1][:7]}/"
    assert "T0" not in trades.inner_text()
    assert "between the case's accounts" in trades.inner_text()
    assert f"{len(trade_ids)} trades" in trades.locator("tfoot").inner_text()
    # The restricted account is marked in the summary, the graph and the trades.
    held = members.ids[0]
    summary = page.locator("#case-accounts")
    assert summary.locator(".restricted-mark").count() == 1
    assert summary.locator(".restricted-mark").get_attribute("title") == (
        "Restricted now: Withdrawal hold"
    )
    assert page.locator("svg.case-graph .node-restricted").count() == 1
    assert trades.locator(".restricted-mark").count() >= 1
    assert page.locator("svg.case-graph title", has_text=f"{held} (restricted)").count() == 1
    # docs/screenshots/case-trades.png is the demo's; this one is looked at, not kept.
    page.locator("#case-trades").screenshot(path=str(tmp_path / "case-trades.png"))
    print(f"screenshot: {tmp_path / 'case-trades.png'}")
