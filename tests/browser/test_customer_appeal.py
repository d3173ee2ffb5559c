"""Customer service logs an appeal against a withdrawal hold; the operator on duty finds
it in Customer contacts and answers; customer service sees the answer on the lookup."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.actions.measures import Measure, Scope
from apps.actions.models import Action, Restriction
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, ExchangeAccountFactory
from tests.shifts.helpers import make_shift, now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_service_logs_an_appeal_that_an_operator_answers(
    new_page, operator, supervisor, customer_service
) -> None:
    make_shift(starts_at=now() - timedelta(hours=1), operators=[operator], supervisor=supervisor)
    account = ExchangeAccountFactory.create(account_id="U000390")
    at = timezone.now()
    action = Action.objects.create(
        measure=Measure.WITHDRAWAL_HOLD,
        scope=Scope.ACCOUNT,
        account=account,
        reason_code="account_security",
        customer_text="Withdrawals are paused while we check a new device on your account.",
        requested_by=operator,
        requires_approval=False,
        status=Action.Status.EXECUTED,
    )
    Restriction.objects.create(
        action=action,
        exchange_id="X-1",
        measure=Measure.WITHDRAWAL_HOLD,
        scope=Scope.ACCOUNT,
        account=account,
        applied_at=at,
        expires_at=at + timedelta(hours=24),
    )

    carla = new_page()
    sign_in(carla, "carla", PASSWORD)
    carla.goto("/accounts/lookup/")
    carla.fill("input[name=q]", "u000390")  # the customer read it out in lower case
    carla.keyboard.press("Enter")
    carla.wait_for_url("**/accounts/lookup/?q=u000390")
    assert carla.get_by_role("heading", name="Account U000390").is_visible()
    cannot = carla.locator("ul.cannot").inner_text()
    assert "Withdraw funds — until" in cannot
    assert "open new positions" in carla.locator("text=Can:").locator("..").inner_text()
    carla.check("input[value=appeal]")
    carla.click("button:has-text('Send to the desk')")  # blank: refused, nothing lost
    said = "Customer says the new device is their new phone; needs funds today."
    carla.fill("#contact-text", said)
    carla.click("button:has-text('Send to the desk')")
    carla.wait_for_url("**#contact-*")
    assert "Appeal recorded: Olga has it" in carla.locator("body").inner_text()
    screenshot(carla, "cs-appeal-recorded")

    olga = new_page()
    sign_in(olga, "olga", PASSWORD)
    olga.click("nav >> text=Customer contacts")
    row = olga.locator("tr[id^=contact-]").first
    assert "new phone" in row.inner_text() and "U000390" in row.inner_text()
    screenshot(olga, "operator-customer-contacts")
    row.locator("textarea[name=answer]").fill(
        "We confirmed the new phone with you; withdrawals reopen within the hour."
    )
    row.locator("button:has-text('Send answer')").click()
    olga.wait_for_url("**/actions/contacts/")
    assert "Answer sent to Carla" in olga.content()

    carla.goto("/accounts/lookup/?q=U000390")
    answered = carla.locator("tr[id^=contact-]").first.inner_text()
    assert "Answered by Olga" in answered and "withdrawals reopen within the hour" in answered
    screenshot(carla, "cs-appeal-answered")
