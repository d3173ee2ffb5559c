import pytest

from apps.accounts.models import Identifier
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    ControlClusterFactory,
    ExchangeAccountFactory,
    IdentifierFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_signs_in_searches_by_ip_and_opens_an_account(new_page, operator) -> None:
    cluster = ControlClusterFactory(key="C00042", size=3)
    shared = "203.0.113.77"
    members = [ExchangeAccountFactory(cluster=cluster) for _ in range(3)]
    for account in members:
        IdentifierFactory(account=account, value=shared)
        IdentifierFactory(
            account=account, kind=Identifier.Kind.DEVICE, value=f"dev-{account.account_id}"
        )
    IdentifierFactory(account=members[0], kind=Identifier.Kind.ADDRESS, value="0xc0ffee")

    page = new_page()
    page.goto("/")
    assert "/sign-in/" in page.url  # anonymous: sent to sign in
    screenshot(page, "sign-in")
    sign_in(page, "olga", PASSWORD)
    assert page.locator(".role").inner_text() == "Risk operator"

    page.keyboard.press("g")
    page.keyboard.press("a")
    page.wait_for_url("**/accounts/**")
    page.keyboard.press("/")
    page.keyboard.type(shared)
    rows = page.locator("#results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3
    rows.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/accounts/{members[0].account_id}/")
    assert page.get_by_role("heading", name=f"Account {members[0].account_id}").is_visible()
    assert page.locator("text=0xc0ffee").is_visible()
    screenshot(page, "account-page")
