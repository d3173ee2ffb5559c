"""The night desk (issue 15): an operator triages a grouped cluster and bulk-dismisses by
filter; a supervisor confirms a freeze from the card's evidence."""

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apps.actions import services as actions
from apps.actions.measures import Measure, ReasonCode, Scope
from apps.actions.models import Action
from apps.alerts.models import Alert, DismissReason, Status
from apps.cases.services import case_open
from tests.alerts.payloads import stored_alert
from tests.browser.conftest import screenshot, sign_in
from tests.cases.feed import feed_window
from tests.cases.helpers import alert_on, linked_cluster
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_triages_a_grouped_cluster_and_bulk_dismisses_by_filter(
    new_page, operator
) -> None:
    ring = linked_cluster("C00077", size=3)
    grouped = [alert_on([account], severity="critical") for account in ring.ids]
    noise = [stored_alert(100 + n, severity="low") for n in range(60)]  # more than a page

    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.goto("/alerts/")
    lead = page.locator("#queue tr.group-lead").first
    assert "cluster C00077 · 3 alerts" in lead.inner_text()
    assert page.locator("#queue tbody tr[data-id]").count() == 50 - 2  # three alerts, one row
    assert "63 alerts match" in page.locator("#in-force-text").inner_text()

    # l opens the highlighted group: its other two alerts appear under it.
    page.locator("#queue tr.cursor.group-lead").wait_for()
    page.keyboard.press("l")
    page.locator('#queue tr[data-member-of="cluster:C00077"]').nth(1).wait_for()
    screenshot(page, "alert-queue-grouped")

    # x picks the whole group, c claims all three.
    page.keyboard.press("x")
    page.keyboard.press("c")
    page.locator("#queue .msg-success", has_text="Claimed 3 alerts").wait_for()
    assert set(
        Alert.objects.filter(pk__in=[a.pk for a in grouped]).values_list("status", flat=True)
    ) == {Status.CLAIMED}

    # Low severity only: 60 alerts, 50 on the page; a picks all 60 for the next action.
    page.goto("/alerts/?severity=low")
    assert (
        "60 alerts match · status open (new + claimed) · severity Low"
        in page.locator("#in-force-text").inner_text()
    )
    page.keyboard.press("a")
    assert "all 60 alerts matching the filter" in page.locator("#selection").inner_text()
    page.keyboard.press("d")
    page.locator("#dismiss-reason").select_option(DismissReason.BELOW_MATERIALITY)
    screenshot(page, "alert-queue-dismiss-by-filter")
    page.locator("#do-dismiss").focus()
    page.keyboard.press("Enter")
    page.locator("#queue .msg-success", has_text="Dismissed 60 alerts").wait_for()
    assert (
        Alert.objects.filter(
            pk__in=[a.pk for a in noise],
            status=Status.DISMISSED,
            dismiss_reason="below_materiality",
        ).count()
        == 60
    )
    assert Alert.objects.filter(status=Status.CLAIMED).count() == 3  # the filter, nothing else
    page.locator("#queue p.empty").wait_for()
    screenshot(page, "alert-queue-after-dismiss-by-filter")


def test_a_supervisor_confirms_a_freeze_from_the_cards_evidence(
    new_page, operator, supervisor, tmp_path
) -> None:
    ring = linked_cluster("C00088", size=2)
    feed_window(tmp_path / "w", ring.ids)
    pq.write_table(
        pa.table(
            {
                "ts": [datetime(2026, 11, 20, 23, tzinfo=UTC)] * 2,
                "account_id": ring.ids,
                "symbol": ["BTCUSDT", "BTCUSDT"],
                "qty": [2.5, -1.0],
                "entry_price": [60_000.0, 61_000.0],
            }
        ),
        tmp_path / "w" / "positions.parquet",
    )
    alert = alert_on(ring.ids, severity="critical")
    case = case_open(alerts=[alert], by=operator).case
    actions.action_request(
        by=operator,
        measure=Measure.FREEZE,
        scope=Scope.ACCOUNT,
        account_ids=ring.ids,
        reason_code=ReasonCode.LINKED_ACCOUNTS,
        customer_text="Your account is frozen during a review.",
        case=case,
        alerts=[alert],
    )

    sam = new_page()
    sign_in(sam, "sam", PASSWORD)
    sam.goto("/actions/inbox/")
    card = sam.locator("article.decision").first
    assert case.ref in card.inner_text()
    # The evidence first: the card's alert link opens "why this alert".
    card.locator("[data-evidence]").first.click()
    sam.wait_for_url(f"**/alerts/{alert.pk}/#why")
    sam.locator("#why").wait_for()
    sam.go_back()

    sam.get_by_role("button", name="Approve all 2…").click()
    confirm = sam.locator("article.confirm")
    confirm.wait_for()
    assert "2 positions, 211,000 USDT notional" in confirm.inner_text()
    assert "no trading, deposit or withdrawal" in confirm.inner_text()
    screenshot(sam, "approval-confirm-freeze")
    assert set(Action.objects.values_list("status", flat=True)) == {"awaiting_approval"}
    sam.locator("#confirm-approve").click()
    sam.locator("article.decision", has_text="by Sam").wait_for()
    assert set(Action.objects.values_list("approved_by__username", flat=True)) == {"sam"}
