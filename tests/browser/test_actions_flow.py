import pytest

from apps.actions.models import Action
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, ControlClusterFactory, ExchangeAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WORDING = "Your account is under review for unusual trading. We will contact you by e-mail."


def test_a_freeze_goes_from_request_to_approval_to_the_exchange_to_customer_service(
    new_page, operator, supervisor, customer_service
) -> None:
    cluster = ControlClusterFactory(key="C00042", size=2)
    account = ExchangeAccountFactory(account_id="U1001", cluster=cluster)
    ExchangeAccountFactory(account_id="U1002", cluster=cluster)

    olga = new_page()
    sign_in(olga, "olga", PASSWORD)
    olga.goto(f"/accounts/{account.account_id}/")
    olga.get_by_role("link", name="Request an action").click()
    olga.wait_for_url("**/actions/new/**")
    # Keyboard only: the measure has focus; freeze is the first choice.
    assert olga.locator("#measure").evaluate("el => el === document.activeElement")
    olga.select_option("#reason_code", "self_trade")
    olga.fill("#customer_text", WORDING)
    olga.fill("#internal_note", "41 self-trades in one day; cluster C00042")
    plan = olga.locator("#plan")
    plan.get_by_text("The exchange call").wait_for()  # the plan has no errors left
    assert "a supervisor other than you must approve: Sam" in plan.inner_text()
    assert "U1001" in plan.inner_text() and "PUT /restrictions/A-…" in plan.inner_text()
    screenshot(olga, "actions-request-form")
    olga.locator("#customer_text").focus()
    olga.keyboard.press("Control+Enter")
    olga.wait_for_url("**/actions/*/")
    action = Action.objects.get()
    assert olga.locator("#status").inner_text() == "Awaiting approval"

    sam = new_page()
    sign_in(sam, "sam", PASSWORD)
    sam.keyboard.press("g")
    sam.keyboard.press("i")
    sam.wait_for_url("**/actions/inbox/")
    assert sam.get_by_text(WORDING).is_visible()
    assert sam.get_by_text("41 self-trades in one day").is_visible()
    screenshot(sam, "actions-approval-inbox")
    sam.keyboard.press("j")
    sam.keyboard.press("a")
    # A freeze asks for a second, deliberate key: its reach is shown, the confirm focused.
    sam.locator("#confirm-approve:focus").wait_for()
    sam.keyboard.press("Enter")
    sam.locator("article.decision .tag-ok, article.decision .tag").first.wait_for()
    sam.get_by_text("Executed").wait_for()

    # Olga's page never reloaded: it polled its own fragment.
    olga.locator("#status", has_text="Executed").wait_for(timeout=5000)
    assert olga.get_by_text("approved by Sam").is_visible()
    assert olga.get_by_text(f"PUT /restrictions/{action.reference}").is_visible()
    screenshot(olga, "actions-action-page")

    carla = new_page()
    sign_in(carla, "carla", PASSWORD)
    carla.keyboard.press("/")
    carla.keyboard.type("U1001")
    carla.keyboard.press("Enter")
    carla.wait_for_url("**/accounts/lookup/**")
    assert carla.get_by_text(WORDING).is_visible()
    assert carla.get_by_text(action.reference).is_visible()
    assert "self-trades" not in carla.content()
    screenshot(carla, "actions-cs-lookup")
