import pytest

from apps.alerts.models import Alert, DismissReason, Status
from apps.cases.models import Escalation
from apps.notifications.models import Notification
from tests.alerts.payloads import overdue, stored_alert
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, ControlClusterFactory, ExchangeAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_claims_dismisses_and_bulk_dismisses_with_the_keyboard(
    new_page, operator
) -> None:
    cluster = ControlClusterFactory(key="C00042", size=3)
    ExchangeAccountFactory(account_id="U1001", cluster=cluster)
    critical = overdue(
        stored_alert(
            1,
            severity="critical",
            accounts=["U1001", "U1002"],
            evidence={
                "trade_ids": ["T1", "T2", "T3"],
                "trades": [
                    {"trade_id": "T1", "price": "97000.5", "qty": "0.20", "side": "buy"},
                    {"trade_id": "T2", "price": "97001.0", "qty": "0.20", "side": "sell"},
                ],
            },
        )
    )
    high = stored_alert(2, severity="high")
    rest = [stored_alert(n, severity=("medium", "low")[n % 2]) for n in range(3, 9)]

    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.keyboard.press("g")
    page.keyboard.press("q")
    page.wait_for_url("**/alerts/")
    assert "1 alert past SLA" in page.locator(".breach").inner_text()
    rows = page.locator("#queue tbody tr")
    assert rows.first.get_attribute("data-id") == str(critical.pk)  # breached, critical first
    screenshot(page, "alert-queue")

    # c: claim the highlighted (first) row.
    page.keyboard.press("c")
    page.locator(f'#queue tr[data-id="{critical.pk}"] .status-claimed').wait_for()
    assert Alert.objects.get(pk=critical.pk).assignee == operator

    # After an action the cursor is on the next row: d dismisses it with a reason and a note.
    page.locator(f'#queue tr.cursor[data-id="{high.pk}"]').wait_for()
    page.keyboard.press("d")
    page.locator("#dismiss-reason").select_option(DismissReason.FP_MARKET_MAKER)
    page.keyboard.press("Tab")
    page.keyboard.type("Known MM account, quoting both sides")
    page.locator("#do-dismiss").focus()
    page.keyboard.press("Enter")
    after_high = page.locator(f'#queue tr[data-id="{high.pk}"] + tr').get_attribute("data-id")
    page.locator(f'#queue tr[data-id="{high.pk}"]').wait_for(state="detached")
    # The highlight stays where the work is: on the row that followed the dismissed one.
    page.locator(f'#queue tr.cursor[data-id="{after_high}"]').wait_for()
    page.keyboard.press("k")  # back up one, so the three picked below follow as before
    high.refresh_from_db()
    assert high.status == Status.DISMISSED and high.note == "Known MM account, quoting both sides"

    # x on three rows, then d: one dismissal for all three.
    picked = []
    for _ in range(3):
        page.keyboard.press("j")
        picked.append(int(page.locator("#queue tr.cursor").get_attribute("data-id") or 0))
        page.keyboard.press("x")
    assert page.locator("#selection").inner_text() == "3 alerts selected"
    page.keyboard.press("d")
    assert "3 alerts" in (page.locator("#dismiss-title").text_content() or "")
    page.locator("#dismiss-reason").select_option(DismissReason.DUPLICATE)
    page.locator("#do-dismiss").focus()
    page.keyboard.press("Enter")
    page.locator("#queue .msg-success", has_text="Dismissed 3 alerts").wait_for()
    assert set(Alert.objects.filter(pk__in=picked).values_list("status", "dismiss_reason")) == {
        ("dismissed", "duplicate")
    }
    assert sorted(picked) == sorted(a.pk for a in rest if a.severity == "medium")
    assert Alert.objects.filter(pk__in=[a.pk for a in rest], status=Status.NEW).count() == 3
    screenshot(page, "alert-queue-after-dismissals")

    # o: open the claimed alert.
    page.keyboard.press("k")
    while page.locator("#queue tr.cursor").get_attribute("data-id") != str(critical.pk):
        page.keyboard.press("k")
    page.keyboard.press("o")
    page.wait_for_url(f"**/alerts/{critical.pk}/")
    assert page.get_by_role("cell", name="C00042 (3 accounts)").is_visible()
    assert page.locator("th", has_text="price").is_visible()
    screenshot(page, "alert-page")

    page.goto("/alerts/")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    screenshot(page, "alert-queue-dark")


def test_e_in_the_queue_escalates_the_highlighted_alert_to_the_supervisor(
    new_page, operator, supervisor
) -> None:
    alert = stored_alert(1, severity="critical")
    page = new_page()
    sign_in(page, "olga", PASSWORD)
    page.goto("/alerts/")
    page.locator(f'#queue tr.cursor[data-id="{alert.pk}"]').wait_for()
    page.keyboard.press("e")
    page.keyboard.type("Same device as last week's ring")
    page.locator("#do-escalate").focus()
    page.keyboard.press("Enter")
    page.locator("#queue .msg-success", has_text="Escalated 1 alert").wait_for()
    escalation = Escalation.objects.get(alert=alert)
    assert (escalation.target, escalation.reason) == (
        "supervisor",
        "Same device as last week's ring",
    )
    assert Notification.objects.filter(recipient=supervisor, kind="escalation").exists()


def test_the_api_docs_page_renders_under_the_content_security_policy(new_page, operator) -> None:
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(page, "olga", PASSWORD)
    page.goto("/api/v1/docs/")
    page.locator(".opblock-summary-path", has_text="/api/v1/alerts/").first.wait_for()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    screenshot(page, "api-docs")
