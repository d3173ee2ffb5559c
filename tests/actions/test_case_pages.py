"""Requesting a measure from an alert page and from a case page; the action page's links."""

import pytest
from django.urls import reverse

from apps.actions.models import Action
from apps.cases.services import case_open
from tests.cases.helpers import alert_on, linked_cluster

pytestmark = pytest.mark.django_db


def test_the_form_from_a_case_is_prefilled_with_its_accounts_reason_and_wording(
    client, operator
) -> None:
    members = linked_cluster(size=3)
    alert = alert_on(members.ids[:1])
    case = case_open(alerts=[alert], by=operator).case
    case.customer_reason = "Your account is under review for trading with linked accounts."
    case.save(update_fields=["customer_reason"])
    client.force_login(operator)

    page = client.get(reverse("actions:new"), {"case": case.pk}).content.decode()

    assert all(account in page for account in members.ids)  # the whole cluster
    assert case.customer_reason in page
    assert f'name="case" value="{case.pk}"' in page and f'name="alert" value="{alert.pk}"' in page
    assert 'value="investigation" selected' in page


def test_a_freeze_posted_from_a_case_page_is_linked_and_its_page_links_back(
    client, operator
) -> None:
    members = linked_cluster(size=1)
    alert = alert_on(members.ids)
    case = case_open(alerts=[alert], by=operator).case
    client.force_login(operator)
    response = client.post(
        reverse("actions:new"),
        {
            "measure": "freeze",
            "scope": "account",
            "accounts": members.ids[0],
            "reason_code": "linked_accounts",
            "customer_text": "Your account is frozen during a review.",
            "case": case.pk,
            "alert": [alert.pk],
        },
    )
    freeze = Action.objects.get()
    assert response.status_code == 302 and freeze.case_id == case.pk
    # The work is the case: requesting a measure for it ends back on it.
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert list(freeze.alerts.values_list("pk", flat=True)) == [alert.pk]

    page = client.get(reverse("actions:detail", args=[freeze.pk])).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in page
    assert reverse("alerts:detail", args=[alert.pk]) in page
    assert f"?requested_by={operator.username}" in page


def test_the_form_from_an_alert_takes_its_accounts_and_a_reason_from_its_category(
    client, operator
) -> None:
    alert = alert_on(["U910001", "U910002"], category="self_trade", rule="self_trade")
    client.force_login(operator)
    page = client.get(reverse("actions:new"), {"alert": alert.pk}).content.decode()
    assert "U910001\nU910002" in page
    assert 'value="self_trade" selected' in page
    assert f'name="alert" value="{alert.pk}"' in page


def test_the_alert_page_offers_a_case_an_escalation_and_a_measure(client, operator) -> None:
    alert = alert_on(["U910003"])
    client.force_login(operator)
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f"{reverse('cases:new')}?alert={alert.pk}" in page
    assert reverse("cases:alert_escalate", args=[alert.pk]) in page
    assert f"{reverse('actions:new')}?alert={alert.pk}" in page
    queue = client.get(reverse("alerts:queue")).content.decode()
    assert f"{reverse('cases:new')}?alert={alert.pk}" in queue


def test_the_case_page_lists_its_measures_and_serves_its_timeline_to_the_poll(
    client, operator
) -> None:
    members = linked_cluster(size=1)
    case = case_open(alerts=[alert_on(members.ids)], by=operator).case
    client.force_login(operator)
    client.post(
        reverse("actions:new"),
        {
            "measure": "freeze",
            "scope": "account",
            "accounts": members.ids[0],
            "reason_code": "linked_accounts",
            "customer_text": "Frozen during a review.",
            "case": case.pk,
        },
    )
    freeze = Action.objects.get()
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f"{reverse('actions:new')}?case={case.pk}" in page and freeze.reference in page
    live = client.get(
        reverse("cases:detail", args=[case.pk]), {"part": "live"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Action requested" in live and 'id="case-status" hx-swap-oob="true"' in live
    assert "Awaiting approval" in live and "<html" not in live
