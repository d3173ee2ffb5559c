"""The plan pages: from a market_stress alert to its plan, activation, the waiting notice,
the deputy's approval, editing with clear refusals."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.actions.models import Action
from apps.actions.plans.models import EmergencyPlan, PlanActivation
from tests.actions.plans_helpers import CASCADE, on_duty, seeded_plans, stress_alert
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_from_the_alert_to_the_plan_then_waiting_then_the_deputy_approves(
    supervisor, operator, run_on_commit
) -> None:
    deputy = make_person("dana", "operator")
    seeded_plans(supervisor)
    on_duty(None, [operator])  # night: no supervisor on duty at all
    alert = stress_alert()
    page = client_for(operator).get(reverse("alerts:detail", args=[alert.pk]))
    assert reverse("actions:plans_for_alert", args=[alert.pk]) in page.content.decode()
    suggested = client_for(operator).get(reverse("actions:plans_for_alert", args=[alert.pk]))
    assert suggested.status_code == 302 and f"/plans/{CASCADE}/?alert={alert.pk}" in suggested.url
    plan_page = client_for(operator).get(suggested.url).content.decode()
    assert "No second supervisor is on duty" in plan_page and 'value="BTCUSDT"' in plan_page

    with run_on_commit():
        sent = client_for(operator).post(
            reverse("actions:plan_activate", args=[CASCADE]),
            {"where": "symbol", "symbol": "BTCUSDT", "alert": alert.pk},
        )
    activation = PlanActivation.objects.get()
    assert sent.url == reverse("actions:activation", args=[activation.pk])
    waiting = client_for(operator).get(sent.url).content.decode()
    assert "Waiting for a second person" in waiting and "does not expire" in waiting
    assert "was paged at" in waiting

    with run_on_commit():
        client_for(deputy).post(reverse("actions:activation_approve", args=[activation.pk]))
    activation.refresh_from_db()
    assert activation.status == PlanActivation.Status.ACTIVE and activation.approved_by == deputy
    done = client_for(operator).get(sent.url).content.decode()
    assert done.count(">Executed<") == 6 and "Lift all of it" in done


def test_the_requester_sees_no_approve_button_and_a_refusal_if_they_try(
    supervisor, operator
) -> None:
    seeded_plans(supervisor)
    client_for(operator).post(
        reverse("actions:plan_activate", args=["extreme-move"]), {"where": "platform"}
    )
    activation = PlanActivation.objects.get()
    assert activation.symbol == ""
    page = client_for(operator).get(reverse("actions:activation", args=[activation.pk]))
    assert 'id="approve"' not in page.content.decode()
    client_for(operator).post(reverse("actions:activation_approve", args=[activation.pk]))
    assert not Action.objects.filter(batch=activation.batch, approved_by__isnull=False).exists()


def test_editing_keeps_what_was_typed_and_says_what_is_wrong(supervisor) -> None:
    seeded_plans(supervisor)
    url = reverse("actions:plan_edit", args=["extreme-move"])
    answer = client_for(supervisor).post(
        url,
        {
            "name": "Extreme move",
            "kind": "extreme_move",
            "measures": "leverage_cap max_leverage=twenty\nwithdrawal_hold",
            "checklist": "Call market ops",
            "tell": "Supervisors",
            "deputy_role": "operator",
            "customer_text": "Restricted.",
        },
    )
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "must be a number" in text and "never per contract" in text
    assert "max_leverage=twenty" in text  # nothing typed is lost
    ok = client_for(supervisor).post(
        url,
        {
            "name": "Extreme move",
            "kind": "extreme_move",
            "measures": "leverage_cap max_leverage=15\nwithdrawal_hold @platform",
            "checklist": "Call market ops",
            "tell": "Supervisors",
            "deputy_role": "operator",
            "customer_text": "Restricted.",
        },
    )
    assert ok.status_code == 302
    plan = EmergencyPlan.objects.get(key="extreme-move", is_current=True)
    assert plan.version == 2
    assert plan.measures == [
        {"measure": "leverage_cap", "params": {"max_leverage": 15}, "reach": "target"},
        {"measure": "withdrawal_hold", "params": {}, "reach": "platform"},
    ]
