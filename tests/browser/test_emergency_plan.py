"""A market_stress alert → its plan activated by an operator → approved by the deputy, no
second supervisor being on duty → every measure executed on the sandbox exchange → lifted."""

import pytest

from apps.actions.models import Action
from apps.actions.plans.models import PlanActivation
from apps.actions.sandbox.models import SandboxRestriction
from tests.actions.plans_helpers import on_duty, seeded_plans, stress_alert
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_stress_alert_to_plan_to_deputy_to_exchange_to_lift(new_page, operator, supervisor) -> None:
    make_person("dana", "operator")  # the senior operator on call: the plan's deputy
    seeded_plans(supervisor)
    on_duty(None, [operator])  # a thin night: no supervisor on duty
    alert = stress_alert("BTCUSDT")

    olga = new_page()
    sign_in(olga, "olga", PASSWORD)
    olga.goto(f"/alerts/{alert.pk}/")
    olga.locator("#emergency-plan").click()
    olga.wait_for_url("**/actions/plans/liquidation-cascade/**")
    assert olga.locator("#thin-desk").is_visible()
    screenshot(olga, "plans-activate-from-alert")
    olga.locator("#activate").click()
    olga.wait_for_url("**/actions/activations/*/")
    waiting = olga.locator("#waiting")
    assert "does not expire" in waiting.inner_text() and "was paged at" in waiting.inner_text()
    assert olga.locator("#approve").count() == 0  # never their own
    screenshot(olga, "plans-activation-waiting")
    activation = PlanActivation.objects.get()

    dana = new_page()
    sign_in(dana, "dana", PASSWORD)
    dana.goto("/notifications/")
    assert dana.get_by_text("PAGE — no second supervisor on duty").first.is_visible()
    screenshot(dana, "plans-deputy-paged")
    dana.get_by_role("button", name="Open").first.click()
    dana.wait_for_url(f"**/actions/activations/{activation.pk}/")
    dana.locator("#approve").click()
    dana.wait_for_url(f"**/actions/activations/{activation.pk}/")

    # Olga's page polls its own fragment: all six land without a reload.
    olga.locator("#progress-counts", has_text="6 executed").wait_for(timeout=10_000)
    assert olga.locator("#activation-approver").inner_text().startswith("Dana")
    assert SandboxRestriction.objects.filter(status="active").count() == 6
    olga.locator("#checklist button").first.click()
    olga.locator("#checklist", has_text="done by Olga").wait_for()
    screenshot(olga, "plans-activation-executed")

    olga.locator("#lift").click()
    olga.wait_for_url(f"**/actions/activations/{activation.pk}/")
    dana.reload()
    dana.locator("#approve", has_text="the lift").click()
    olga.locator("#progress-counts", has_text="lifts: 6 executed").wait_for(timeout=10_000)
    assert SandboxRestriction.objects.filter(status="active").count() == 0
    assert set(Action.objects.filter(batch=activation.batch).values_list("status", flat=True)) == {
        Action.Status.LIFTED
    }
    screenshot(olga, "plans-activation-lifted")


def test_the_dashboard_shows_the_markets_risk_and_leads_to_the_plan(
    new_page, operator, supervisor, tmp_path
) -> None:
    from django.utils import timezone

    from apps.detection.models import DetectionRun
    from tests.detection.market_window import write_market_window

    seeded_plans(supervisor)
    on_duty(supervisor, [operator])
    folder = write_market_window(tmp_path / "w-2026-11-20")
    DetectionRun.objects.create(
        window=folder.name, folder=str(folder), status="done", finished_at=timezone.now()
    )
    sam = new_page()
    sign_in(sam, "sam", PASSWORD)
    sam.goto("/shifts/dashboard/")
    panel = sam.locator("#market-risk")
    panel.scroll_into_view_if_needed()
    screenshot(sam, "plans-dashboard-market-risk")
    panel.get_by_role("link", name="Liquidation cascade").click()
    sam.wait_for_url("**/actions/plans/liquidation-cascade/?symbol=BTCUSDT")
    assert sam.locator("input[name=symbol]").input_value() == "BTCUSDT"
