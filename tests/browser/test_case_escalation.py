"""An operator opens a case from two alerts, writes a note, escalates it; a supervisor
acknowledges it in another browser session."""

import pytest

from apps.cases.models import Case, Escalation
from apps.notifications.models import Notification
from tests.browser.conftest import screenshot, sign_in
from tests.cases.feed import feed_window
from tests.cases.helpers import alert_on, linked_cluster, more_links
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_escalates_a_case_and_a_supervisor_acknowledges_it(
    new_page, operator, supervisor, tmp_path
) -> None:
    members = linked_cluster(key="C00042", size=5)
    more_links(members.ids)
    trade_ids, order_ids = feed_window(tmp_path / "demo-window", members.ids)
    first = alert_on(
        members.ids[:2],
        severity="high",
        evidence={"trade_ids": trade_ids, "order_ids": []},
        summary=f"{members.ids[0]} and {members.ids[1]} traded with each other 64 times",
    )
    second = alert_on(
        members.ids[2:4],
        severity="critical",
        category="large_cancel",
        rule="large_cancel",
        evidence={"trade_ids": [], "order_ids": order_ids},
        summary=f"{members.ids[2]} placed and pulled 10 large orders within seconds",
    )
    alert_on(["U-elsewhere"], severity="low", summary="An unrelated alert")

    olga = new_page()
    sign_in(olga, "olga", PASSWORD)
    olga.keyboard.press("g")
    olga.keyboard.press("c")
    olga.wait_for_url("**/cases/")
    olga.keyboard.press("n")  # the list's shortcut opens the picker
    olga.wait_for_url("**/cases/new/")
    olga.check(f"#alert-{first.pk}")
    olga.check(f"#alert-{second.pk}")
    olga.fill("#title", "Wash ring around C00042")
    olga.click("#open-case button[type=submit]")
    olga.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert olga.locator("#case-alerts tbody tr").count() == 2

    olga.fill("#note-text", "Same device on all five accounts. @sam this needs a freeze tonight.")
    olga.click("#note-form button[type=submit]")
    olga.locator("#timeline li.ev-note").wait_for()
    olga.select_option("#escalate-target", "supervisor")
    olga.fill("#escalate-reason", "Freeze needed before the Asian open")
    olga.click("#escalate-form button[type=submit]")
    olga.locator("#timeline li.ev-escalated").wait_for()
    assert Escalation.objects.filter(case=case, state="open").count() == 1
    olga.evaluate("window.scrollTo(0, 0); document.documentElement.dataset.theme = 'dark'")
    screenshot(olga, "case-page")

    sam = new_page()
    sign_in(sam, "sam", PASSWORD)
    # The badge counts what sam has not read: the mention and the escalation among them
    # (with nobody rostered, the routing of the new alerts tells the supervisors too).
    unread = Notification.objects.filter(recipient=supervisor, read_at__isnull=True)
    assert sam.locator("#notification-badge .count").inner_text() == str(unread.count())
    assert {"case.mention", "escalation"} <= set(unread.values_list("kind", flat=True))
    sam.keyboard.press("g")
    sam.keyboard.press("e")
    sam.wait_for_url("**/cases/escalations/")
    assert sam.get_by_text("Freeze needed before the Asian open").is_visible()
    screenshot(sam, "escalation-inbox")
    sam.get_by_role("button", name="Acknowledge").click()
    sam.wait_for_url("**/cases/escalations/")
    assert sam.get_by_text("No escalations here.").is_visible()
    assert Escalation.objects.get(case=case).acknowledged_by == supervisor

    olga.reload()
    assert olga.locator("#timeline li.ev-escalation_ack").count() == 1
    olga_unread = Notification.objects.filter(recipient=operator, read_at__isnull=True)
    assert olga.locator("#notification-badge .count").inner_text() == str(olga_unread.count())
    assert olga_unread.filter(kind__contains="escalation").exists()
    olga.evaluate("document.documentElement.dataset.theme = 'light'")
    olga.locator("#evidence-h").scroll_into_view_if_needed()
    screenshot(olga, "case-evidence-light")
