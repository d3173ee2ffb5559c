"""The freeze path from a case: requested on the case, approved by a second person, and the
case's own timeline follows without a reload; customer service sees the case reference."""

import pytest

from apps.actions.models import Action
from apps.cases.services import case_open, case_set_customer_reason
from tests.browser.conftest import screenshot, sign_in
from tests.cases.helpers import alert_on
from tests.factories import PASSWORD, ExchangeAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WORDING = "Your account is frozen while we review unusual trading. We will e-mail you."


def test_a_freeze_requested_from_a_case_is_approved_and_its_timeline_follows(
    new_page, operator, supervisor, customer_service
) -> None:
    ExchangeAccountFactory(account_id="U3001")
    alert = alert_on(["U3001"], severity="critical")
    case = case_open(alerts=[alert], by=operator).case
    case_set_customer_reason(case=case, by=operator, text=WORDING)

    olga = new_page()
    sign_in(olga, "olga", PASSWORD)
    olga.goto(f"/cases/{case.pk}/")
    olga.keyboard.press("m")  # the case page's shortcut: request a measure
    olga.wait_for_url("**/actions/new/?case=*")
    assert olga.locator("#accounts").input_value() == "U3001"
    assert olga.locator("#customer_text").input_value() == WORDING
    assert olga.locator("#reason_code").input_value() == "investigation"
    plan = olga.locator("#plan")
    plan.get_by_text("The exchange call").wait_for()
    assert f"{case.ref}: on its timeline; it waits for approval" in plan.inner_text()
    screenshot(olga, "case-request-freeze")
    olga.locator("#customer_text").focus()
    olga.keyboard.press("Control+Enter")
    # Back on the case, where the work is.
    olga.wait_for_url(f"**/cases/{case.pk}/")
    freeze = Action.objects.get()
    assert freeze.case_id == case.pk and list(freeze.alerts.all()) == [alert]
    timeline = olga.locator("#timeline")
    timeline.get_by_text("Action requested").wait_for()
    assert olga.locator("#case-status").inner_text() == "Awaiting approval"

    sam = new_page()
    sign_in(sam, "sam", PASSWORD)
    sam.goto(f"/actions/{freeze.pk}/")
    assert sam.locator("#action-case").inner_text() == case.ref
    sam.get_by_role("button", name="Approve").click()
    # A freeze shows its reach and asks for a second, deliberate click.
    sam.locator("#confirm-accounts").wait_for()
    sam.locator("#confirm-approve").click()
    sam.locator("#status", has_text="Executed").wait_for()

    # Olga's case page never reloaded: its timeline polls.
    timeline.get_by_text("Action executed").wait_for(timeout=6000)
    olga.locator("#case-status", has_text="Actioned").wait_for(timeout=6000)
    lines = timeline.locator("li strong").all_inner_texts()
    order = [k for k in lines if k.startswith("Action ")]
    assert order == ["Action requested", "Action approved", "Action executed"]
    assert "Restriction changed" in lines
    olga.locator("#case-actions").get_by_text("Executed").wait_for()
    timeline.locator("li").last.scroll_into_view_if_needed()
    screenshot(olga, "case-timeline-actioned")

    carla = new_page()
    sign_in(carla, "carla", PASSWORD)
    carla.goto("/accounts/lookup/?q=U3001")
    row = carla.locator("table tbody tr").first
    assert case.ref in row.inner_text() and freeze.reference in row.inner_text()
    assert WORDING in row.inner_text()
    assert alert.summary not in carla.content()
    screenshot(carla, "case-cs-lookup")
